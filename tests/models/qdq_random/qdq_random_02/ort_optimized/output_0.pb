
Bgemm13J(™dĞ¿ s¿…¸f¿QÚ=¯Øö¿qı>6Gß¾sKœ¿0xÆ¾0xF½