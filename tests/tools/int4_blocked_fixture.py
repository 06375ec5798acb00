# Makes tests/models/int4_blocked/digits_mlp_int4_blocked from digits_mlp_op13: weight-only blocked int4 (ONNX 21 DequantizeLinear
# with block_size along the reduction axis, INT4 initializers, symmetric, no zero point) in front of each product,
# activations float. Layer 1: Gemm (transB) with blocks of 16 along axis 1; layer 2: MatMul of W^T [128, 64] with
# blocks of 32 along axis 0, then Add of the bias; layer 3: Gemm with blocks of 24 along axis 1 (64 = 24 + 24 + 16: a
# short last block). Scales s = max|w| / 7 per block. Outputs are ONNX Runtime's with graph optimizations off (so
# the DequantizeLinear + MatMul pair is not fused into MatMulNBits, which may quantize the activations): that is float
# math on the dequantized weights. Run from the repository root with the fixture venv.
# It also makes tests/models/int4_blocked/digits_mlp_uint4_blocked_zp, the same layers with asymmetric blocks (scale
# (max - min) / 15 and a zero point per block): uint4 with zero points for fc1 (blocks of 16) and fc2 (32), int4 with
# zero points (codes -8..7) for fc3 (24).
import onnx, numpy as np, onnxruntime as ort, os, shutil
from onnx import numpy_helper as nh, helper, TensorProto
src='tests/models/digits_mlp_op13'
m=onnx.load(src+'/model.onnx')
init={i.name:nh.to_array(i) for i in m.graph.initializer}
def blockq(w, axis, block):
    k=w.shape[axis]; nb=(k+block-1)//block
    s=np.zeros(tuple(nb if d==axis else w.shape[d] for d in range(w.ndim)),np.float32)
    q=np.zeros(w.shape,np.int8)
    for b in range(nb):
        sl=[slice(None)]*w.ndim; sl[axis]=slice(b*block,min(k,(b+1)*block)); sl=tuple(sl)
        amax=np.abs(w[sl]).max(axis=axis,keepdims=True)
        sb=np.where(amax>0,amax/7,1.0).astype(np.float32)
        q[sl]=np.clip(np.rint(w[sl]/sb),-7,7).astype(np.int8)
        ssl=[slice(None)]*w.ndim; ssl[axis]=slice(b,b+1); s[tuple(ssl)]=sb
    return q,s
def blockq_zp(w, axis, block, lo):
    # asymmetric: codes lo..lo+15, per block scale (max - min) / 15 and zero point lo - round(min / scale)
    k=w.shape[axis]; nb=(k+block-1)//block
    ps=tuple(nb if d==axis else w.shape[d] for d in range(w.ndim))
    s=np.zeros(ps,np.float32); z=np.zeros(ps,np.int32); q=np.zeros(w.shape,np.int32)
    for b in range(nb):
        sl=[slice(None)]*w.ndim; sl[axis]=slice(b*block,min(k,(b+1)*block)); sl=tuple(sl)
        mn=np.minimum(w[sl].min(axis=axis,keepdims=True),0); mx=np.maximum(w[sl].max(axis=axis,keepdims=True),0)
        sb=np.where(mx>mn,(mx-mn)/15,1.0).astype(np.float32)
        zb=np.clip(lo-np.rint(mn/sb),lo,lo+15).astype(np.int32)
        q[sl]=np.clip(np.rint(w[sl]/sb)+zb,lo,lo+15)
        ssl=[slice(None)]*w.ndim; ssl[axis]=slice(b,b+1); s[tuple(ssl)]=sb; z[tuple(ssl)]=zb
    return q,s,z
def blocked_dq(inits,nodes,name,w,axis,block,kind):
    # a DequantizeLinear of w quantized in blocks: symmetric int4 (kind None), or asymmetric 'u4' / 'i4' with zero points
    if kind is None:
        q,s=blockq(w,axis,block); t=TensorProto.INT4; ins=[name+'_q',name+'_scale']
    else:
        t=TensorProto.UINT4 if kind=='u4' else TensorProto.INT4
        q,s,z=blockq_zp(w,axis,block,0 if kind=='u4' else -8); ins=[name+'_q',name+'_scale',name+'_zp']
    inits.append(helper.make_tensor(name+'_q',t,q.shape,q.flatten().tolist()))
    inits.append(nh.from_array(s,name+'_scale'))
    if kind is not None: inits.append(helper.make_tensor(name+'_zp',t,z.shape,z.flatten().tolist()))
    nodes.append(helper.make_node('DequantizeLinear',ins,[name],axis=axis,block_size=block,name=name+'_dq'))
# record(dst, nodes, inits): the model of nodes and inits (the digits MLP's input, one [1,10] float output) saved
# to dst/model.onnx with the source's test input, and ONNX Runtime's output (no graph optimizations, one thread)
# saved beside it; returns the session and that output
def record(dst,nodes,inits,src=src,m=m):
  g=helper.make_graph(nodes,os.path.basename(dst),[m.graph.input[0]],
      [helper.make_tensor_value_info('output',TensorProto.FLOAT,[1,10])],inits)
  mm=helper.make_model(g,opset_imports=[helper.make_opsetid('',21)]); mm.ir_version=10
  onnx.checker.check_model(mm,full_check=True)
  os.makedirs(dst+'/test_data_set_0',exist_ok=True)
  onnx.save(mm,dst+'/model.onnx')
  shutil.copy(src+'/test_data_set_0/input_0.pb',dst+'/test_data_set_0/input_0.pb')
  x=nh.to_array(onnx.load_tensor(src+'/test_data_set_0/input_0.pb'))
  so=ort.SessionOptions(); so.graph_optimization_level=ort.GraphOptimizationLevel.ORT_DISABLE_ALL; so.intra_op_num_threads=1
  s=ort.InferenceSession(dst+'/model.onnx',so)
  y=s.run(None,{'input':x})[0]
  onnx.save_tensor(nh.from_array(y,'output'),dst+'/test_data_set_0/output_0.pb')
  return s,y

# compare(dst, s, y, src): prints ONNX Runtime's output y next to the float source model's recorded one, and session s's
# top-1 on the digits test split
def compare(dst,s,y,src):
  y0=nh.to_array(onnx.load_tensor(src+'/test_data_set_0/output_0.pb'))
  print(dst, y.ravel(), '\nfloat', y0.ravel(), '\nmax diff', np.abs(y-y0).max())
  xs=np.load('tests/data/digits_test_x.npy'); ys=np.load('tests/data/digits_test_y.npy')
  top=[int(np.argmax(s.run(None,{'input':xs[i:i+1]})[0])) for i in range(len(xs))]
  print('ORT top-1 on the digits test split', np.mean(np.array(top)==ys))

def build(dst, zp):
  inits=[]; nodes=[]
  nodes.append(helper.make_node('Flatten',['input'],['x0'],axis=1))
  def dq(name,w,axis,block,kind=None): blocked_dq(inits,nodes,name,w,axis,block,kind)
  w1=init['net.1.weight']; dq('w1',w1,1,16,zp and 'u4'); inits.append(nh.from_array(init['net.1.bias'],'b1'))
  nodes.append(helper.make_node('Gemm',['x0','w1','b1'],['g1'],transB=1,name='fc1'))
  nodes.append(helper.make_node('Relu',['g1'],['r1']))
  w2=np.ascontiguousarray(init['net.3.weight'].T); dq('w2',w2,0,32,zp and 'u4'); inits.append(nh.from_array(init['net.3.bias'],'b2'))
  nodes.append(helper.make_node('MatMul',['r1','w2'],['m2'],name='fc2'))
  nodes.append(helper.make_node('Add',['m2','b2'],['g2']))
  nodes.append(helper.make_node('Relu',['g2'],['r2']))
  w3=init['net.5.weight']; dq('w3',w3,1,24,zp and 'i4'); inits.append(nh.from_array(init['net.5.bias'],'b3'))
  nodes.append(helper.make_node('Gemm',['r2','w3','b3'],['output'],transB=1,name='fc3'))
  s,y=record(dst,nodes,inits)
  compare(dst,s,y,src)

build('tests/models/int4_blocked/digits_mlp_int4_blocked', None)
build('tests/models/int4_blocked/digits_mlp_uint4_blocked_zp', True)

# tests/models/int4_blocked/digits_mlp_int4_blocked_qdq: the same three products with int8 activations (QDQ): the
# flattened input, each product's output and each Relu's output go through QuantizeLinear/DequantizeLinear (int8,
# asymmetric, ranges from the float model on tests/data/digits_calib32_x.npy). fc1: int4 blocks of 16 (Gemm with
# bias); fc2: uint4 with zero points, blocks of 32 (MatMul, then Add of the bias); fc3: int4 with zero points, blocks
# of 24 (Gemm with bias); the output is dequantized to float.
# act_grid(inits, name, v): name_s and name_z, the int8 asymmetric grid of the values v (their range with 0), appended to inits
def act_grid(inits,name,v):
  lo=min(float(v.min()),0.0); hi=max(float(v.max()),0.0)
  sc=np.float32((hi-lo)/255 if hi>lo else 1.0); zp=np.int8(np.clip(np.rint(-128-lo/sc),-128,127))
  inits.append(nh.from_array(np.array(sc,np.float32),name+'_s')); inits.append(nh.from_array(np.array(zp,np.int8),name+'_z'))
def build_qdq(dst):
  inits=[]; nodes=[]
  xs=np.load('tests/data/digits_calib32_x.npy').astype(np.float32)
  fs=ort.InferenceSession(src+'/model.onnx')
  def grid(name, v): act_grid(inits,name,v)
  def qdq(v, out):
      nodes.append(helper.make_node('QuantizeLinear',[v,v+'_s',v+'_z'],[v+'_q'],name=v+'_quant'))
      nodes.append(helper.make_node('DequantizeLinear',[v+'_q',v+'_s',v+'_z'],[out],name=v+'_dequant'))
  def dq(name,w,axis,block,kind): blocked_dq(inits,nodes,name,w,axis,block,kind)
  # float activations of the calibration set, for the grids
  W1,B1=init['net.1.weight'],init['net.1.bias']; W2,B2=init['net.3.weight'],init['net.3.bias']; W3,B3=init['net.5.weight'],init['net.5.bias']
  a0=xs.reshape(len(xs),-1); a1=a0@W1.T+B1; r1=np.maximum(a1,0); a2=r1@W2.T+B2; r2=np.maximum(a2,0); a3=r2@W3.T+B3
  for nm,v in (('x0',a0),('g1',a1),('r1',r1),('g2',a2),('r2',r2),('y',a3)): grid(nm,v)
  nodes.append(helper.make_node('Flatten',['input'],['x0'],axis=1)); qdq('x0','x0d')
  dq('w1',W1,1,16,None); inits.append(nh.from_array(B1,'b1'))
  nodes.append(helper.make_node('Gemm',['x0d','w1','b1'],['g1'],transB=1,name='fc1')); qdq('g1','g1d')
  nodes.append(helper.make_node('Relu',['g1d'],['r1'])); qdq('r1','r1d')
  dq('w2',np.ascontiguousarray(W2.T),0,32,'u4'); inits.append(nh.from_array(B2,'b2'))
  nodes.append(helper.make_node('MatMul',['r1d','w2'],['m2'],name='fc2'))
  nodes.append(helper.make_node('Add',['m2','b2'],['g2'])); qdq('g2','g2d')
  nodes.append(helper.make_node('Relu',['g2d'],['r2'])); qdq('r2','r2d')
  dq('w3',W3,1,24,'i4'); inits.append(nh.from_array(B3,'b3'))
  nodes.append(helper.make_node('Gemm',['r2d','w3','b3'],['y'],transB=1,name='fc3'))
  nodes.append(helper.make_node('QuantizeLinear',['y','y_s','y_z'],['y_q'],name='y_quant'))
  nodes.append(helper.make_node('DequantizeLinear',['y_q','y_s','y_z'],['output'],name='y_dequant'))
  s,y=record(dst,nodes,inits)
  print(dst, y.ravel(), 'output step', float(nh.to_array([i for i in inits if i.name=='y_s'][0])))
  xt=np.load('tests/data/digits_test_x.npy'); yt=np.load('tests/data/digits_test_y.npy')
  top=[int(np.argmax(s.run(None,{'input':xt[i:i+1]})[0])) for i in range(len(xt))]
  print('ORT top-1 on the digits test split', np.mean(np.array(top)==yt))
build_qdq('tests/models/int4_blocked/digits_mlp_int4_blocked_qdq')

# tests/models/int4_blocked/digits_lenet5_int4_blocked from digits_lenet5_op13: each Conv and Gemm weight blocked along
# its reduction axis (a Conv's input channels, axis 1 of [M, C, kh, kw]: one scale per block of channels at each output
# channel and tap): conv1 int4 blocks of 4 over its one channel (a short block), conv2 uint4 with zero points in blocks
# of 4 over 6 channels (4 + 2), fc1 int4 blocks of 16, fc2 int4 blocks of 32 (120 = 3 * 32 + 24), fc3 int4 with zero
# points in blocks of 24 (84 = 3 * 24 + 12). With qdq, digits_lenet5_int4_blocked_qdq: the same weights with every
# activation through QuantizeLinear/DequantizeLinear (int8, ranges from the float model on digits_calib32_x; a
# MaxPool's and the Flatten's output keep their input's grid), the output dequantized to float.
lsrc='tests/models/digits_lenet5_op13'
LAYERS={'features.0.weight':(4,None),'features.3.weight':(4,'u4'),'classifier.1.weight':(16,None),
        'classifier.3.weight':(32,None),'classifier.5.weight':(24,'i4')}
# blocked(src, layers, xs, qdq): the nodes and initializers of float model src/model.onnx with each weight named in
# layers {name: (block, kind)} blocked along axis 1; with qdq every activation goes through QuantizeLinear/
# DequantizeLinear (int8, ranges of the float model on the calibration inputs xs; a MaxPool's and a Flatten's output
# keep their input's grid), the output dequantized to float
def blocked(src,layers,xs,qdq):
  lm=onnx.load(src+'/model.onnx')
  linit={i.name:nh.to_array(i) for i in lm.graph.initializer}
  inits=[nh.from_array(v,k) for k,v in linit.items() if k not in layers]; nodes=[]
  for k,(block,kind) in layers.items(): blocked_dq(inits,nodes,k,linit[k],1,block,kind)
  body=[n for n in lm.graph.node]
  if not qdq: return nodes+body,inits
  # float activations of the calibration set: every node output of the float model
  names=[o for n in body for o in n.output]
  fm=onnx.load(src+'/model.onnx'); del fm.graph.output[:]
  fm.graph.output.extend([helper.make_tensor_value_info(o,TensorProto.FLOAT,None) for o in names])
  fs=ort.InferenceSession(fm.SerializeToString())
  runs=[fs.run(None,{'input':xs[i:i+1]}) for i in range(len(xs))]
  acts={o:np.concatenate([r[j] for r in runs]) for j,o in enumerate(names)}
  acts['input']=xs
  grid={}
  def add_grid(name,v):
    act_grid(inits,name,v); grid[name]=name
  def qdq(v,g,out):
    nodes.append(helper.make_node('QuantizeLinear',[v,g+'_s',g+'_z'],[v+'_q'],name=v+'_quant'))
    nodes.append(helper.make_node('DequantizeLinear',[v+'_q',g+'_s',g+'_z'],[out],name=v+'_dequant'))
  add_grid('input',acts['input']); qdq('input','input','input_d')
  ren={'input':'input_d'}
  for n in body:
    nn=onnx.NodeProto(); nn.CopyFrom(n)
    for i,x in enumerate(nn.input):
      if x in ren: nn.input[i]=ren[x]
    o=nn.output[0]; last=o=='output'
    if last: nn.output[0]=o='y'
    nodes.append(nn)
    if n.op_type in ('MaxPool','Flatten'): g=grid[n.input[0]]
    else: add_grid(o,acts[n.output[0]]); g=o
    grid[n.output[0]]=g; grid[o]=g
    qdq(o,g,'output' if last else o+'_d')
    if not last: ren[o]=o+'_d'
  return nodes,inits
def build_lenet(dst,qdq):
  nodes,inits=blocked(lsrc,LAYERS,np.load('tests/data/digits_calib32_x.npy').astype(np.float32),qdq)
  lm=onnx.load(lsrc+'/model.onnx')
  s,y=record(dst,nodes,inits,lsrc,lm)
  compare(dst,s,y,lsrc)
build_lenet('tests/models/int4_blocked/digits_lenet5_int4_blocked',False)
build_lenet('tests/models/int4_blocked/digits_lenet5_int4_blocked_qdq',True)

# tests/models/int4_blocked/ds_block_int4_blocked: a small MobileNet-style depthwise-separable block exported from torch
# (random weights, seed 0; input [1, 3, 20, 20]): stem conv 3 -> 16, 3x3 stride 2 (int4 blocks of 2 over 3 channels,
# 2 + 1); depthwise 3x3 (uint4 with zero points, one channel a block); grouped pointwise 16 -> 24 in 2 groups (int4
# with zero points, blocks of 3 over a group's 8 channels, 3 + 3 + 2); depthwise 3x3 stride 2 with two outputs a
# channel, 24 -> 48 (int4, one channel a block); ReLU after each; global average pool; fc 48 -> 10 (int4 blocks of
# 16). With qdq, ds_block_int4_blocked_qdq: the same with int8 activations (ranges on 32 random inputs, seed 1). The
# float torch export is kept as ds_block_float (the source of both).
import torch
class DSBlock(torch.nn.Module):
  def __init__(self):
    super().__init__()
    c=torch.nn.Conv2d
    self.stem=c(3,16,3,stride=2,padding=1); self.dw=c(16,16,3,padding=1,groups=16)
    self.pw=c(16,24,1,groups=2); self.dw2=c(24,48,3,stride=2,padding=1,groups=24); self.fc=torch.nn.Linear(48,10)
  def forward(self,x):
    r=torch.relu
    x=r(self.dw2(r(self.pw(r(self.dw(r(self.stem(x))))))))
    return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x,1),1))
dsrc='tests/models/int4_blocked/ds_block_float'
torch.manual_seed(0)
net=DSBlock().eval()
os.makedirs(dsrc+'/test_data_set_0',exist_ok=True)
xin=np.random.default_rng(0).standard_normal((1,3,20,20)).astype(np.float32)
torch.onnx.export(net,torch.from_numpy(xin),dsrc+'/model.onnx',input_names=['input'],output_names=['output'],opset_version=13,dynamo=False)
onnx.save_tensor(nh.from_array(xin,'input'),dsrc+'/test_data_set_0/input_0.pb')
with torch.no_grad(): onnx.save_tensor(nh.from_array(net(torch.from_numpy(xin)).numpy(),'output'),dsrc+'/test_data_set_0/output_0.pb')
DS_LAYERS={'stem.weight':(2,None),'dw.weight':(1,'u4'),'pw.weight':(3,'i4'),'dw2.weight':(1,None),'fc.weight':(16,None)}
def build_ds(dst,qdq):
  xs=np.random.default_rng(1).standard_normal((32,3,20,20)).astype(np.float32)
  nodes,inits=blocked(dsrc,DS_LAYERS,xs,qdq)
  s,y=record(dst,nodes,inits,dsrc,onnx.load(dsrc+'/model.onnx'))
  y0=nh.to_array(onnx.load_tensor(dsrc+'/test_data_set_0/output_0.pb'))
  print(dst, y.ravel(), '\nfloat', y0.ravel(), '\nmax diff', np.abs(y-y0).max())
build_ds('tests/models/int4_blocked/ds_block_int4_blocked',False)
build_ds('tests/models/int4_blocked/ds_block_int4_blocked_qdq',True)
