// Build 1 compiled; build 2 found tiny_mlp up to date and wrote nothing (its C file kept the 2001 date build 1
// gave it); build 3 compiled again because a setting changed.
def log = new File(basedir, 'build.log').text
def compiled = log.findAll(/kiln: compiled tiny_mlp /).size()
def upToDate = log.findAll(/kiln: tiny_mlp is up to date/).size()
assert compiled == 2 : "expected 2 compilations (builds 1 and 3), log has $compiled"
assert upToDate == 1 : "expected build 2 to find tiny_mlp up to date, log has $upToDate"
int first = log.indexOf('kiln: compiled tiny_mlp ')
int same = log.indexOf('kiln: tiny_mlp is up to date')
int dated = log.indexOf('tiny_mlp.c dated 2001-01-01')
int again = log.lastIndexOf('kiln: compiled tiny_mlp ')
assert first < same && same < dated && dated < again : "unexpected order: $first $same $dated $again"
def c = new File(basedir, 'target/generated-sources/kiln/tiny_mlp/tiny_mlp.c')
long year2020 = 1577836800000L
assert c.isFile() && c.lastModified() > year2020 : 'build 3 did not rewrite the C'
return true
