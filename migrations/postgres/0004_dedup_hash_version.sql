-- Which version of the dedup hash's normalisation the stored hashes were made with. The
-- store recomputes every card's hash when it opens a database whose version is older than
-- the program's (the hash is SHA-256 over normalised text, which SQL cannot compute).
CREATE TABLE amgi_meta (
    key   TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO amgi_meta (key, value) VALUES ('dedup_hash_version', 1);
