grammar Kiln;
// Placeholder until the DSL issue: a model header only.
model : 'model' ID ';'? EOF ;
ID : [a-zA-Z_][a-zA-Z_0-9]* ;
WS : [ \t\r\n]+ -> skip ;
