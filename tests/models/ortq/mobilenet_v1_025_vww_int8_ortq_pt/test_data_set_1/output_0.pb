BoutputJ‹
?μκκ>