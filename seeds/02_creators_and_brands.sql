-- Seed creator profiles for the three creator users, two brands with their
-- owners, and the brand memberships.

INSERT INTO creators (user_id, handle, bio, country_code, follower_count, is_verified, created_at, updated_at) VALUES
    ((SELECT id FROM users WHERE lower(email) = 'leo.tanaka@example.com'),
     'leo_brews', 'Home barista and latte-art tutorials.', 'JP', 184300, true,
     '2025-02-11 14:25:00+00', '2025-02-11 14:25:00+00'),
    ((SELECT id FROM users WHERE lower(email) = 'sofia.marquez@example.com'),
     'sofia_glow', 'Skincare routines for sensitive skin, honest reviews.', 'MX', 92750, true,
     '2025-03-02 18:10:00+00', '2025-03-02 18:10:00+00'),
    ((SELECT id FROM users WHERE lower(email) = 'amara.nwosu@example.com'),
     'amara_outdoors', 'Trail running, gear tests and slow travel.', 'NG', 12800, false,
     '2025-04-19 08:40:00+00', '2025-04-19 08:40:00+00');

INSERT INTO brands (name, slug, website, owner_user_id, created_at, updated_at) VALUES
    ('Northwind Coffee', 'northwind-coffee', 'https://northwind.example',
     (SELECT id FROM users WHERE lower(email) = 'jonas.weber@northwind.example'),
     '2025-02-20 10:05:00+00', '2025-02-20 10:05:00+00'),
    ('Lumen Skincare', 'lumen-skincare', 'https://lumenskin.example',
     (SELECT id FROM users WHERE lower(email) = 'priya.raman@lumenskin.example'),
     '2025-03-15 16:50:00+00', '2025-03-15 16:50:00+00');

INSERT INTO brand_members (brand_id, user_id, role, created_at) VALUES
    ((SELECT id FROM brands WHERE slug = 'northwind-coffee'),
     (SELECT id FROM users WHERE lower(email) = 'jonas.weber@northwind.example'),
     'owner', '2025-02-20 10:05:00+00'),
    ((SELECT id FROM brands WHERE slug = 'lumen-skincare'),
     (SELECT id FROM users WHERE lower(email) = 'priya.raman@lumenskin.example'),
     'owner', '2025-03-15 16:50:00+00'),
    ((SELECT id FROM brands WHERE slug = 'lumen-skincare'),
     (SELECT id FROM users WHERE lower(email) = 'maya.okafor@creatormarket.example'),
     'viewer', '2025-03-16 09:00:00+00');
