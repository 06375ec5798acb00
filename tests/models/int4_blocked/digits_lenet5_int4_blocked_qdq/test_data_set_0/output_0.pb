
BoutputJ(BÁ»ì”¿­µ2ÁDSEÁpC«@»ìÀ‘Gî¿‘Gî?‘Gî>Ù¥Á