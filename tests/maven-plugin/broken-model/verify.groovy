// The build failed with Kiln's own messages: file:line:col, what is wrong, what to write instead; no stack trace.
def log = new File(basedir, 'build.log').text
assert log.contains("src/main/kiln/broken.kiln:3:15: error: conv2d has no parameter 'filtres' (did you mean 'filters'?)")
assert log.contains("src/main/kiln/broken.kiln:4:16: error: softmax has no attribute or input 'axes'")
assert log.contains('kiln: 1 of 1 model(s) failed to compile')
assert log.contains('BUILD FAILURE')
assert !log.contains('at dev.kiln.') : 'the log shows a stack trace'
assert !new File(basedir, 'target/generated-sources/kiln/broken').exists() : 'a failed model left output behind'
return true
