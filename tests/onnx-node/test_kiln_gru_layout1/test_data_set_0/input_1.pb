B	initial_hJ Šº?ıBò¾éÄÍ<xü¾XG ¿DèD?
;¿Ã•ë>