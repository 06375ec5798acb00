# Makes tests/models/digits_lenet5_int4_qdq from digits_lenet5_int8_qdq: every weight requantized to int4 per output
# channel (s = max|w| / 7, zero point 0, INT4 initializers), each bias requantized to s_x * s_w4, opset 21; the
# output is ONNX Runtime's with graph optimizations off. Run from the repository root with the fixture venv.
import onnx, numpy as np, onnxruntime as ort, os, shutil
from onnx import numpy_helper as nh, helper
src='tests/models/digits_lenet5_int8_qdq'; dst='tests/models/digits_lenet5_int4_qdq'
m=onnx.load(src+'/model.onnx')
init={i.name:i for i in m.graph.initializer}
def arr(n): return nh.to_array(init[n])
def put(n,a,dt=None):
    t=helper.make_tensor(n, dt, a.shape, a.flatten().tolist()) if dt else nh.from_array(a,n)
    init[n].CopyFrom(t)
# input scale of each weight's conv/gemm: find by bias_quantized_scale = sx*sw
for name in list(init):
    if not name.endswith('.weight_quantized'): continue
    base=name[:-len('.weight_quantized')]
    q=arr(name).astype(np.float64); s=arr(base+'.weight_scale').astype(np.float64)
    w=q*s.reshape((-1,)+(1,)*(q.ndim-1))
    amax=np.abs(w).reshape(w.shape[0],-1).max(1); s4=np.where(amax>0,amax/7,1.0).astype(np.float32)
    q4=np.clip(np.rint(w/s4.reshape((-1,)+(1,)*(q.ndim-1))),-7,7).astype(np.int8)
    put(name,q4,onnx.TensorProto.INT4)
    put(base+'.weight_zero_point',np.zeros(s4.shape,np.int8),onnx.TensorProto.INT4)
    bs=arr(base+'.bias_quantized_scale').astype(np.float64); bq=arr(base+'.bias_quantized').astype(np.float64)
    sx=(bs/s)[0]
    b=bq*bs
    nbs=(sx*s4.astype(np.float64)).astype(np.float32)
    put(base+'.bias_quantized_scale',nbs)
    put(base+'.bias_quantized',np.rint(b/nbs).astype(np.int32))
    put(base+'.weight_scale',s4)
for o in m.opset_import:
    if o.domain in ('','ai.onnx'): o.version=max(o.version,21)
m.ir_version=max(m.ir_version,10)
onnx.checker.check_model(m)
os.makedirs(dst+'/test_data_set_0',exist_ok=True)
onnx.save(m,dst+'/model.onnx')
x=nh.to_array(onnx.load_tensor(src+'/test_data_set_0/input_0.pb'))
shutil.copy(src+'/test_data_set_0/input_0.pb',dst+'/test_data_set_0/input_0.pb')
so=ort.SessionOptions(); so.graph_optimization_level=ort.GraphOptimizationLevel.ORT_DISABLE_ALL; so.intra_op_num_threads=1
s=ort.InferenceSession(dst+'/model.onnx', so)
y=s.run(None,{s.get_inputs()[0].name:x})[0]
t=nh.from_array(y,s.get_outputs()[0].name)
onnx.save_tensor(t,dst+'/test_data_set_0/output_0.pb')
y8=nh.to_array(onnx.load_tensor(src+'/test_data_set_0/output_0.pb'))
print(y.ravel()[:10], y8.ravel()[:10], np.argmax(y), np.argmax(y8))
