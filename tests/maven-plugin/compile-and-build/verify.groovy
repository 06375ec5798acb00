// The generated C exists for both models, the program gcc built from it ran, and kiln:check passed.
def out = new File(basedir, 'target/generated-sources/kiln')
['tiny_mlp/tiny_mlp.h', 'tiny_mlp/tiny_mlp.c', 'tiny_mlp/tiny_mlp_weights.c', 'tiny_mlp/.kiln-stamp',
 'digits/digits.h', 'digits/digits.c', 'digits/digits_weights.c', 'digits/.kiln-stamp'].each {
    assert new File(out, it).isFile() : "missing generated file $it"
}
assert new File(basedir, 'target/demo').isFile() : 'gcc did not build target/demo'
def log = new File(basedir, 'build.log').text
assert log.contains('kiln: compiled tiny_mlp (src/main/kiln/tiny_mlp/model.kiln) for host')
assert log.contains('kiln: compiled digits (models/digits_mlp_op13.onnx) for host')
assert log.contains('tiny_mlp row 1:')
assert log.contains('digits: class 7')
assert log.contains('demo ok')
assert log.contains('kiln: PASS tiny_mlp')
assert log.contains('kiln: 1 passed, 0 failed')
return true
