"""人民调解 (DESIGN §2, "Mediation"): the records of a dispute's mediation beyond its timeline."""
