// Build 1 (mvn -T 2) and build 2 (serial) compiled the same models into target/kiln-parallel and target/kiln-serial
// of each module: every file, the stamps included, has the same SHA-256; and Maven warned of no thread-unsafe goal.
import java.security.MessageDigest

def log = new File(basedir, 'build.log').text
assert log.contains('Using the MultiThreadedBuilder implementation with a thread count of 2') : 'build 1 did not run in parallel'
// Maven 3.8/3.9: "Your build is requesting parallel execution, but this project contains ... not marked as thread-safe"
assert !log.contains('requesting parallel execution') : 'Maven warned that a goal is not thread-safe'
assert !log.contains('not marked as thread-safe') : 'Maven warned that a goal is not thread-safe'

def sha = { File f -> MessageDigest.getInstance('SHA-256').digest(f.bytes).encodeHex().toString() }
def hashes = { File root ->
    def m = new TreeMap()
    root.eachFileRecurse(groovy.io.FileType.FILES) { m[root.toPath().relativize(it.toPath()).toString()] = sha(it) }
    m
}
def expected = ['lenet-host': ['lenet/lenet.c', 'lenet/lenet.h', 'lenet/lenet_weights.c', 'lenet/.kiln-stamp'],
                'kws-m4f': ['kws/kws.c', 'kws/.kiln-stamp'],
                'mlp-opencl': ['mlp/mlp.cl', 'tiny_mlp/tiny_mlp.cl', 'mlp/.kiln-stamp'],
                'lenet-int8-m0plus': ['lenet8/lenet8.c', 'lenet8/.kiln-stamp']]
int files = 0
expected.each { module, names ->
    def par = hashes(new File(basedir, "$module/target/kiln-parallel"))
    def ser = hashes(new File(basedir, "$module/target/kiln-serial"))
    names.each { assert par.containsKey(it) : "$module: the parallel build did not write $it (it wrote ${par.keySet()})" }
    assert par == ser : "$module: the parallel build's files differ from the serial build's:\n$par\n$ser"
    files += par.size()
}
assert log.findAll(/kiln: compiled /).size() == 10 : 'expected 5 models compiled in each of the 2 builds'
println "parallel: ${files} files, byte-identical between mvn -T 2 and the serial build"
return true
