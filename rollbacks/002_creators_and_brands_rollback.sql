-- Rollback of 002_creators_and_brands: drops brand_members, brands and creators
-- (their triggers, indexes and identity sequences go with them).

DROP TABLE IF EXISTS brand_members;
DROP TABLE IF EXISTS brands;
DROP TABLE IF EXISTS creators;
