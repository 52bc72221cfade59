-- Seed users with a session or API token each: one admin, three creators and
-- two brand members. Token hashes are SHA-256 of fixed, obviously fake tokens.

INSERT INTO users (email, display_name, role, password_hash, email_verified_at, created_at, updated_at) VALUES
    ('maya.okafor@creatormarket.example', 'Maya Okafor',  'admin',        NULL,                                      '2025-01-06 09:00:00+00', '2025-01-06 09:00:00+00', '2025-01-06 09:00:00+00'),
    ('leo.tanaka@example.com',            'Leo Tanaka',   'creator',      '$argon2id$v=19$m=65536,t=3,p=4$seed$leo',  '2025-02-11 14:20:00+00', '2025-02-11 14:15:00+00', '2025-02-11 14:20:00+00'),
    ('sofia.marquez@example.com',         'Sofia Márquez','creator',      '$argon2id$v=19$m=65536,t=3,p=4$seed$sofia','2025-03-02 18:05:00+00', '2025-03-02 18:00:00+00', '2025-03-02 18:05:00+00'),
    ('amara.nwosu@example.com',           'Amara Nwosu',  'creator',      '$argon2id$v=19$m=65536,t=3,p=4$seed$amara',NULL,                     '2025-04-19 08:30:00+00', '2025-04-19 08:30:00+00'),
    ('jonas.weber@northwind.example',     'Jonas Weber',  'brand_member', '$argon2id$v=19$m=65536,t=3,p=4$seed$jonas','2025-02-20 10:02:00+00', '2025-02-20 10:00:00+00', '2025-02-20 10:02:00+00'),
    ('priya.raman@lumenskin.example',     'Priya Raman',  'brand_member', NULL,                                      '2025-03-15 16:45:00+00', '2025-03-15 16:40:00+00', '2025-03-15 16:45:00+00');

INSERT INTO sessions (user_id, token_hash, user_agent, created_at, expires_at, revoked_at) VALUES
    ((SELECT id FROM users WHERE lower(email) = 'maya.okafor@creatormarket.example'),
     sha256(convert_to('seed-session-maya-1', 'UTF8')),
     'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Firefox/131.0',
     '2025-11-03 08:55:00+00', '2025-11-17 08:55:00+00', NULL),
    ((SELECT id FROM users WHERE lower(email) = 'leo.tanaka@example.com'),
     sha256(convert_to('seed-session-leo-1', 'UTF8')),
     'CreatorMarket/4.2 (iPhone; iOS 18.1)',
     '2025-11-01 19:12:00+00', '2025-12-01 19:12:00+00', NULL),
    ((SELECT id FROM users WHERE lower(email) = 'leo.tanaka@example.com'),
     sha256(convert_to('seed-session-leo-0', 'UTF8')),
     'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/130.0',
     '2025-10-02 07:40:00+00', '2025-11-01 07:40:00+00', '2025-10-20 22:03:00+00'),
    ((SELECT id FROM users WHERE lower(email) = 'jonas.weber@northwind.example'),
     sha256(convert_to('seed-session-jonas-1', 'UTF8')),
     'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0',
     '2025-11-04 11:30:00+00', '2025-11-18 11:30:00+00', NULL);

INSERT INTO api_tokens (user_id, name, token_hash, scopes, created_at, last_used_at, expires_at) VALUES
    ((SELECT id FROM users WHERE lower(email) = 'priya.raman@lumenskin.example'),
     'Lumen reporting export',
     sha256(convert_to('seed-api-token-lumen-reporting', 'UTF8')),
     ARRAY['projects:read', 'payouts:read'],
     '2025-06-01 12:00:00+00', '2025-11-04 06:00:00+00', '2026-06-01 12:00:00+00'),
    ((SELECT id FROM users WHERE lower(email) = 'sofia.marquez@example.com'),
     'Portfolio site sync',
     sha256(convert_to('seed-api-token-sofia-portfolio', 'UTF8')),
     ARRAY['profile:read'],
     '2025-07-14 09:10:00+00', NULL, NULL);
