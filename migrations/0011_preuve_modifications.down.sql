DROP TABLE preuve_modifications;
