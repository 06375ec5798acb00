package dev.kiln.ops;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one list of Kiln's ops. Adding an op: write its class, add one line here, map it in the frontends,
 * and give each backend a template for it.
 */
public final class Ops {
    private static final Map<String, OpDef> BY_NAME = new LinkedHashMap<>();

    private static <T extends OpDef> T register(T op) {
        if (BY_NAME.put(op.name(), op) != null) throw new IllegalStateException("op registered twice: " + op.name());
        return op;
    }

    // --- element-wise arithmetic, math and activations ---
    public static final Add ADD = register(new Add());
    public static final Sub SUB = register(new Sub());
    public static final Mul MUL = register(new Mul());
    public static final Div DIV = register(new Div());
    public static final Pow POW = register(new Pow());
    public static final Sqrt SQRT = register(new Sqrt());
    public static final Exp EXP = register(new Exp());
    public static final Log LOG = register(new Log());
    public static final Abs ABS = register(new Abs());
    public static final Neg NEG = register(new Neg());
    public static final Reciprocal RECIPROCAL = register(new Reciprocal());
    public static final Floor FLOOR = register(new Floor());
    public static final Ceil CEIL = register(new Ceil());
    public static final Erf ERF = register(new Erf());
    public static final Min MIN = register(new Min());
    public static final Max MAX = register(new Max());
    public static final Sum SUM = register(new Sum());
    public static final Mean MEAN = register(new Mean());
    public static final Equal EQUAL = register(new Equal());
    public static final Where WHERE = register(new Where());
    public static final Cast CAST = register(new Cast());
    public static final BitCast BIT_CAST = register(new BitCast());
    public static final Identity IDENTITY = register(new Identity());
    public static final Dropout DROPOUT = register(new Dropout());
    public static final Relu RELU = register(new Relu());
    public static final Clip CLIP = register(new Clip());
    public static final LeakyRelu LEAKY_RELU = register(new LeakyRelu());
    public static final PRelu PRELU = register(new PRelu());
    public static final Elu ELU = register(new Elu());
    public static final Sigmoid SIGMOID = register(new Sigmoid());
    public static final HardSigmoid HARD_SIGMOID = register(new HardSigmoid());
    public static final HardSwish HARD_SWISH = register(new HardSwish());
    public static final Tanh TANH = register(new Tanh());
    public static final Softplus SOFTPLUS = register(new Softplus());
    public static final Mish MISH = register(new Mish());
    public static final Gelu GELU = register(new Gelu());
    public static final Swish SWISH = register(new Swish());
    public static final FusedElementwise FUSED_ELEMENTWISE = register(new FusedElementwise());

    // --- convolution, pooling, normalization, matrix products ---
    public static final Conv CONV = register(new Conv());
    public static final SeparableConv SEPARABLE_CONV = register(new SeparableConv());
    public static final ConvTranspose CONV_TRANSPOSE = register(new ConvTranspose());
    public static final ConvInteger CONV_INTEGER = register(new ConvInteger());
    public static final QLinearConv QLINEAR_CONV = register(new QLinearConv());
    public static final Gemm GEMM = register(new Gemm());
    public static final DequantGemm DEQUANT_GEMM = register(new DequantGemm());
    public static final QdequantGemm QDEQUANT_GEMM = register(new QdequantGemm());
    public static final DequantConv DEQUANT_CONV = register(new DequantConv());
    public static final QdequantConv QDEQUANT_CONV = register(new QdequantConv());
    public static final MatMul MATMUL = register(new MatMul());
    public static final MaxPool MAX_POOL = register(new MaxPool());
    public static final AveragePool AVERAGE_POOL = register(new AveragePool());
    public static final GlobalAveragePool GLOBAL_AVERAGE_POOL = register(new GlobalAveragePool());
    public static final GlobalMaxPool GLOBAL_MAX_POOL = register(new GlobalMaxPool());
    public static final BatchNorm BATCH_NORM = register(new BatchNorm());
    public static final Lrn LRN = register(new Lrn());
    public static final LayerNormalization LAYER_NORMALIZATION = register(new LayerNormalization());

    // --- shape, data movement, reductions, softmax ---
    public static final Flatten FLATTEN = register(new Flatten());
    public static final Reshape RESHAPE = register(new Reshape());
    public static final Transpose TRANSPOSE = register(new Transpose());
    public static final Concat CONCAT = register(new Concat());
    public static final Split SPLIT = register(new Split());
    public static final Slice SLICE = register(new Slice());
    public static final Pad PAD = register(new Pad());
    public static final Squeeze SQUEEZE = register(new Squeeze());
    public static final Unsqueeze UNSQUEEZE = register(new Unsqueeze());
    public static final Expand EXPAND = register(new Expand());
    public static final Tile TILE = register(new Tile());
    public static final Gather GATHER = register(new Gather());
    public static final ReduceMean REDUCE_MEAN = register(new ReduceMean());
    public static final ReduceMax REDUCE_MAX = register(new ReduceMax());
    public static final ReduceSum REDUCE_SUM = register(new ReduceSum());
    public static final Softmax SOFTMAX = register(new Softmax());
    public static final LogSoftmax LOG_SOFTMAX = register(new LogSoftmax());

    // --- resize and quantization ---
    public static final Resize RESIZE = register(new Resize());
    public static final QuantizeLinear QUANTIZE_LINEAR = register(new QuantizeLinear());
    public static final DequantizeLinear DEQUANTIZE_LINEAR = register(new DequantizeLinear());
    public static final QLinearMatMul QLINEAR_MATMUL = register(new QLinearMatMul());
    public static final MatMulInteger MATMUL_INTEGER = register(new MatMulInteger());

    // --- Kiln's int8 ops (fixed-point requantization, see quant/FixedPoint) ---
    public static final Qconv QCONV = register(new Qconv());
    public static final Qbottleneck QBOTTLENECK = register(new Qbottleneck());
    public static final Qmatmul QMATMUL = register(new Qmatmul());
    public static final Qadd QADD = register(new Qadd());
    public static final QaveragePool QAVERAGE_POOL = register(new QaveragePool());
    public static final Requantize REQUANTIZE = register(new Requantize());
    public static final Qlookup QLOOKUP = register(new Qlookup());
    public static final Qaffine QAFFINE = register(new Qaffine());
    public static final Qsoftmax QSOFTMAX = register(new Qsoftmax());

    // --- issue 18 (branch i18-ops-a): logic, comparison and bit ops; math; reductions and scans; losses; signal ---
    public static final And AND = register(new And());
    public static final Or OR = register(new Or());
    public static final Xor XOR = register(new Xor());
    public static final Not NOT = register(new Not());
    public static final Less LESS = register(new Less());
    public static final LessOrEqual LESS_OR_EQUAL = register(new LessOrEqual());
    public static final Greater GREATER = register(new Greater());
    public static final GreaterOrEqual GREATER_OR_EQUAL = register(new GreaterOrEqual());
    public static final BitShift BIT_SHIFT = register(new BitShift());
    public static final BitwiseAnd BITWISE_AND = register(new BitwiseAnd());
    public static final BitwiseOr BITWISE_OR = register(new BitwiseOr());
    public static final BitwiseXor BITWISE_XOR = register(new BitwiseXor());
    public static final BitwiseNot BITWISE_NOT = register(new BitwiseNot());
    public static final Mod MOD = register(new Mod());
    public static final IsNan IS_NAN = register(new IsNan());
    public static final IsInf IS_INF = register(new IsInf());
    public static final Sign SIGN = register(new Sign());
    public static final Round ROUND = register(new Round());
    public static final Sin SIN = register(new Sin());
    public static final Cos COS = register(new Cos());
    public static final Tan TAN = register(new Tan());
    public static final Asin ASIN = register(new Asin());
    public static final Acos ACOS = register(new Acos());
    public static final Atan ATAN = register(new Atan());
    public static final Sinh SINH = register(new Sinh());
    public static final Cosh COSH = register(new Cosh());
    public static final Asinh ASINH = register(new Asinh());
    public static final Acosh ACOSH = register(new Acosh());
    public static final Atanh ATANH = register(new Atanh());
    public static final ThresholdedRelu THRESHOLDED_RELU = register(new ThresholdedRelu());
    public static final Shrink SHRINK = register(new Shrink());
    public static final Hardmax HARDMAX = register(new Hardmax());
    public static final Det DET = register(new Det());
    public static final ReduceMin REDUCE_MIN = register(new ReduceMin());
    public static final ReduceProd REDUCE_PROD = register(new ReduceProd());
    public static final ArgMax ARG_MAX = register(new ArgMax());
    public static final ArgMin ARG_MIN = register(new ArgMin());
    public static final CumSum CUM_SUM = register(new CumSum());
    public static final CumProd CUM_PROD = register(new CumProd());
    public static final TopK TOP_K = register(new TopK());
    public static final NegativeLogLikelihoodLoss NEGATIVE_LOG_LIKELIHOOD_LOSS = register(new NegativeLogLikelihoodLoss());
    public static final Dft DFT = register(new Dft());
    public static final Stft STFT = register(new Stft());
    // (end of the i18-ops-a block)
    // --- issue 18: indexing and layout ---
    public static final GatherElements GATHER_ELEMENTS = register(new GatherElements());
    public static final GatherNd GATHER_ND = register(new GatherNd());
    public static final ScatterElements SCATTER_ELEMENTS = register(new ScatterElements());
    public static final ScatterNd SCATTER_ND = register(new ScatterNd());
    public static final OneHot ONE_HOT = register(new OneHot());
    public static final ReverseSequence REVERSE_SEQUENCE = register(new ReverseSequence());
    public static final Col2Im COL2IM = register(new Col2Im());
    public static final MaxUnpool MAX_UNPOOL = register(new MaxUnpool());
    public static final MaxPoolIndices MAX_POOL_INDICES = register(new MaxPoolIndices());
    public static final GridSample GRID_SAMPLE = register(new GridSample());
    public static final RoiAlign ROI_ALIGN = register(new RoiAlign());
    public static final DeformConv DEFORM_CONV = register(new DeformConv());
    public static final TensorScatter TENSOR_SCATTER = register(new TensorScatter());
    // --- issue 18: normalization and attention (the normalizations are ONNX-level decompositions) ---
    public static final Attention ATTENTION = register(new Attention());
    public static final RotaryEmbedding ROTARY_EMBEDDING = register(new RotaryEmbedding());
    public static final Einsum EINSUM = register(new Einsum());
    public static final LinearAttention LINEAR_ATTENTION = register(new LinearAttention());
    // --- issue 18: ai.onnx.ml (Binarizer and ArrayFeatureExtractor are ONNX-level decompositions) ---
    public static final TreeEnsemble TREE_ENSEMBLE = register(new TreeEnsemble());
    public static final LabelEncoder LABEL_ENCODER = register(new LabelEncoder());
    // --- issue 17: recurrent networks ---
    public static final Rnn RNN = register(new Rnn());
    public static final Gru GRU = register(new Gru());
    public static final Lstm LSTM = register(new Lstm());

    // --- issue 17: control flow (nodes owning regions) ---
    public static final If IF = register(new If());
    public static final Loop LOOP = register(new Loop());
    public static final Scan SCAN = register(new Scan());

    // --- issue 19: data-dependent output sizes (bounded shapes, see Extents) and run-time quantization ---
    public static final NonZero NON_ZERO = register(new NonZero());
    public static final Range RANGE = register(new Range());
    public static final Compress COMPRESS = register(new Compress());
    public static final Unique UNIQUE = register(new Unique());
    public static final NonMaxSuppression NON_MAX_SUPPRESSION = register(new NonMaxSuppression());
    public static final DynamicQuantizeLinear DYNAMIC_QUANTIZE_LINEAR = register(new DynamicQuantizeLinear());
    public static final BoundedConcat BOUNDED_CONCAT = register(new BoundedConcat());
    public static final BoundedSlice BOUNDED_SLICE = register(new BoundedSlice());
    public static final BoundedReshape BOUNDED_RESHAPE = register(new BoundedReshape());
    public static final BoundedShape BOUNDED_SHAPE = register(new BoundedShape());

    private Ops() {}

    /** The op named {@code name}, or null. */
    public static OpDef get(String name) { return BY_NAME.get(name); }

    /** Every op, in registration order. */
    public static Collection<OpDef> all() { return Collections.unmodifiableCollection(BY_NAME.values()); }
}
