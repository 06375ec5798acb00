package dev.kiln.diag;

/**
 * Every kind of diagnostic Kiln reports, with a stable number and a message template
 * ({@link String#format} arguments). Numbers never change meaning; new kinds get new numbers.
 */
public enum Code {
    // 1xx: reading models
    FILE_NOT_FOUND(101, "cannot read %s"),
    ONNX_PARSE(102, "not a valid ONNX model (truncated file or not protobuf): %s"),
    ONNX_NO_GRAPH(103, "the ONNX model has no graph"),
    UNSUPPORTED_OPS(104, "%d unsupported node(s):%s"),
    UNKNOWN_DTYPE(105, "tensor '%s' has data type %s, which Kiln does not support"),
    UNBOUND_DIM(106, "input '%s' has an unknown dimension %d (%s)"),
    BAD_TENSOR_DATA(107, "tensor '%s': %s"),
    EXTERNAL_DATA(108, "tensor '%s': external data %s"),
    UNDEFINED_VALUE(109, "node '%s' uses '%s', which no node, input or initializer defines"),
    DUPLICATE_VALUE(110, "value '%s' is defined twice"),
    GRAPH_CYCLE(111, "the graph has a cycle through node '%s'"),
    NOT_CONSTANT(112, "%s must be a constant known at compile time"),
    BAD_ATTRIBUTE(113, "%s"),
    FUNCTION_RECURSION(114, "model-local function '%s' calls itself (directly or through others)"),
    TENSOR_TOO_LARGE(115, "tensor '%s' would need %s bytes, more than the limit of %s bytes"),
    BAD_INPUT_SHAPE_OPTION(116, "%s"),
    BAD_NPY(117, "%s"),
    // 12x-13x: the Kiln DSL (frontend/dsl) and weight archives
    BAD_ARCHIVE(120, "%s"),
    DSL_SYNTAX(121, "%s"),
    DSL_UNKNOWN_CALLEE(122, "%s"),
    DSL_UNKNOWN_ARGUMENT(123, "%s"),
    DSL_BAD_ARGUMENT(124, "%s"),
    DSL_UNDEFINED_NAME(125, "%s"),
    DSL_DUPLICATE_NAME(126, "%s"),
    DSL_OP_ERROR(127, "%s"),
    DSL_TYPE_MISMATCH(128, "%s"),
    DSL_WEIGHTS(129, "%s"),
    DSL_RECURSION(130, "%s"),
    DSL_BAD_LITERAL(131, "%s"),
    DSL_UNKNOWN_DTYPE(132, "%s"),
    // 2xx: graph and op semantics
    SHAPE_MISMATCH(201, "%s"),
    BAD_OP_INPUT(202, "%s"),
    UNKNOWN_OP(203, "unknown op '%s'"),
    VERIFY_FAILED(204, "graph verification failed: %s"),
    EVAL_FAILED(205, "%s"),
    /** A value whose size is known only at run time reaches a node that cannot read it, or a bound is unusable. */
    BOUNDED_SHAPE(206, "%s"),
    // 3xx: checking against recorded outputs
    CASE_LAYOUT(301, "%s"),
    // 4xx: backends, targets and toolchains
    UNKNOWN_TARGET(401, "unknown target '%s'"),
    BAD_TARGET(402, "%s"),
    UNSUPPORTED_BY_BACKEND(403, "the %s backend cannot run %d node(s):%s"),
    TOOL_MISSING(404, "%s"),
    BUILD_FAILED(405, "%s"),
    RUN_FAILED(406, "%s"),
    TEMPLATE_ERROR(407, "%s"),
    // 9xx: usage
    USAGE(901, "%s"),
    IO_ERROR(902, "%s"),
    INTERNAL(999, "internal error: %s"),
    // 14x: limits on untrusted models (tests/hostile)
    TOO_MANY_NODES(140, "the model has more than %d nodes (the limit)"),
    CONSTANTS_TOO_LARGE(141, "the model's constants would need more than %d bytes in all (the limit), at tensor '%s'"),
    NESTING_TOO_DEEP(142, "%s"),
    NOT_UTF8(143, "%s"),
    BAD_SHAPE(144, "%s");

    private final int number;
    private final String template;

    Code(int number, String template) {
        this.number = number;
        this.template = template;
    }

    /** The stable number, shown as {@code K0104}. */
    public int number() { return number; }

    /** The message template. */
    public String template() { return template; }

    /** {@code K0104}. */
    public String id() { return String.format("K%04d", number); }

    /** The message with its arguments filled in. */
    public String format(Object... args) { return String.format(template, args); }
}
