-- a table
CREATE TABLE first (id INTEGER PRIMARY KEY);
