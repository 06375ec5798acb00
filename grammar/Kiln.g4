// The Kiln model-description language (see README "The Kiln DSL").
// The grammar knows no op or layer names: a call f(...) is looked up by the builder in the file's blocks,
// the layer library and the op registry, so a new op or layer needs no change here.
grammar Kiln;

@header {
package dev.kiln.frontend.dsl.parser;
}

file        : modelDecl? decl* EOF ;

modelDecl   : 'model' name ';'? ;

decl        : weightsDecl
            | inputDecl
            | outputDecl
            | constDecl
            | blockDecl
            | stmt
            ;

weightsDecl : 'weights' (STRING | seedInit) ';'? ;
inputDecl   : 'input' name ':' type ';'? ;
outputDecl  : 'output' outputItem (',' outputItem)* ';'? ;
outputItem  : name (':' type)? ;
constDecl   : 'const' name ':' type '=' init ';'? ;

init        : literal
            | fileInit
            | seedInit
            ;
fileInit    : 'file' '(' STRING (',' STRING)? ')' ;
seedInit    : 'seed' '(' INT ')' ;

// f32[1, 3, 32, 32], f32[] (a scalar), i8[4] quant(scale=0.5, zero_point=-1)
type        : dtype=name '[' (INT (',' INT)*)? ']' quant? ;
quant       : 'quant' '(' keywordArg (',' keywordArg)* ')' ;

// a number or nested lists of numbers (constants, typed literals)
literal     : number
            | boolean
            | '[' (literal (',' literal)*)? ']'
            ;

blockDecl   : 'block' name '(' (param (',' param)*)? ')' '{' stmt* returnStmt '}' ;
param       : name ('=' value)? ;
returnStmt  : 'return' name (',' name)* ';'? ;

stmt        : assignment
            | repeatStmt
            ;
assignment  : name (',' name)* '=' pipeline ';'? ;
repeatStmt  : 'repeat' INT '{' stmt* '}' ;

// x | conv2d(filters=8, kernel=3) as c1 | relu
pipeline    : first=stage ('|' stage)* ;
stage       : (call | name) ('as' alias=name)? ;
call        : callee=name '(' (arg (',' arg)*)? ')' ;
arg         : keywordArg
            | value
            ;
keywordArg  : key=name '=' value ;

value       : type literal                        # typedValue
            | number                              # numberValue
            | boolean                             # boolValue
            | STRING                              # stringValue
            | name                                # nameValue
            | '[' (value (',' value)*)? ']'       # listValue
            | '{' decl* '}'                       # regionValue
            ;

number      : '-'? (INT | FLOAT | 'inf' | 'nan') ;
boolean     : 'true' | 'false' ;
name        : ID | QUOTED_NAME ;

INT         : [0-9]+ ;
FLOAT       : [0-9]+ '.' [0-9]* EXPONENT?
            | '.' [0-9]+ EXPONENT?
            | [0-9]+ EXPONENT
            ;
fragment EXPONENT : [eE] [+-]? [0-9]+ ;
STRING      : '"' (~["\\\r\n] | '\\' ~[\r\n])* '"' ;
QUOTED_NAME : '`' (~[`\r\n] | '``')* '`' ;
ID          : [A-Za-z_] [A-Za-z0-9_]* ;
COMMENT     : ('#' | '//') ~[\r\n]* -> skip ;
WS          : [ \t\r\n\f]+ -> skip ;
// anything else is one bad character, reported by the parser's error listener
BAD_CHAR    : . ;
