B
wide_pairsJ ±kâ>q4?j&÷>¡lÿ>±kâ>q4?j&÷>¡lÿ>