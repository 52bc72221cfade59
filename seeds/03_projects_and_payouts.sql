-- Seed projects in several states, the creators hired for them, their payouts
-- (paid, processing, failed, pending) and a few audit log entries.

INSERT INTO projects (brand_id, title, brief, budget_cents, currency, status, starts_on, due_on, created_at, updated_at) VALUES
    ((SELECT id FROM brands WHERE slug = 'northwind-coffee'),
     'Autumn blend launch reels',
     'Three short vertical videos brewing the new Autumn blend at home.',
     450000, 'USD', 'completed', '2025-09-01', '2025-09-30',
     '2025-08-18 13:00:00+00', '2025-10-02 09:00:00+00'),
    ((SELECT id FROM brands WHERE slug = 'lumen-skincare'),
     'Barrier cream 30-day review',
     'A month-long routine diary with before/after photos and one long-form video.',
     800000, 'EUR', 'in_progress', '2025-10-15', '2025-11-30',
     '2025-10-01 08:00:00+00', '2025-10-15 07:30:00+00'),
    ((SELECT id FROM brands WHERE slug = 'northwind-coffee'),
     'Cold brew summer campaign',
     'Outdoor cold brew recipes; creators with travel or outdoor audiences preferred.',
     300000, 'USD', 'open', '2026-05-01', '2026-06-15',
     '2025-11-02 15:20:00+00', '2025-11-02 15:20:00+00'),
    ((SELECT id FROM brands WHERE slug = 'lumen-skincare'),
     'SPF stick unboxing',
     NULL,
     150000, 'EUR', 'draft', NULL, NULL,
     '2025-11-05 10:00:00+00', '2025-11-05 10:00:00+00');

INSERT INTO project_assignments (project_id, creator_id, fee_cents, accepted_at, created_at) VALUES
    ((SELECT p.id FROM projects p JOIN brands b ON b.id = p.brand_id
       WHERE b.slug = 'northwind-coffee' AND p.title = 'Autumn blend launch reels'),
     (SELECT id FROM creators WHERE handle = 'leo_brews'),
     250000, '2025-08-21 17:00:00+00', '2025-08-20 12:00:00+00'),
    ((SELECT p.id FROM projects p JOIN brands b ON b.id = p.brand_id
       WHERE b.slug = 'northwind-coffee' AND p.title = 'Autumn blend launch reels'),
     (SELECT id FROM creators WHERE handle = 'amara_outdoors'),
     120000, '2025-08-22 08:15:00+00', '2025-08-20 12:05:00+00'),
    ((SELECT p.id FROM projects p JOIN brands b ON b.id = p.brand_id
       WHERE b.slug = 'lumen-skincare' AND p.title = 'Barrier cream 30-day review'),
     (SELECT id FROM creators WHERE handle = 'sofia_glow'),
     600000, '2025-10-03 19:40:00+00', '2025-10-02 11:00:00+00'),
    ((SELECT p.id FROM projects p JOIN brands b ON b.id = p.brand_id
       WHERE b.slug = 'northwind-coffee' AND p.title = 'Cold brew summer campaign'),
     (SELECT id FROM creators WHERE handle = 'amara_outdoors'),
     90000, NULL, '2025-11-03 09:00:00+00');

INSERT INTO payouts (creator_id, project_assignment_id, amount_cents, currency, status, external_ref, failure_reason, requested_at, paid_at, created_at, updated_at) VALUES
    ((SELECT id FROM creators WHERE handle = 'leo_brews'),
     (SELECT pa.id FROM project_assignments pa
        JOIN projects p ON p.id = pa.project_id
        JOIN creators c ON c.id = pa.creator_id
       WHERE p.title = 'Autumn blend launch reels' AND c.handle = 'leo_brews'),
     250000, 'USD', 'paid', 'tr_seed_0001', NULL,
     '2025-10-02 09:05:00+00', '2025-10-04 14:00:00+00',
     '2025-10-02 09:05:00+00', '2025-10-04 14:00:00+00'),
    ((SELECT id FROM creators WHERE handle = 'amara_outdoors'),
     (SELECT pa.id FROM project_assignments pa
        JOIN projects p ON p.id = pa.project_id
        JOIN creators c ON c.id = pa.creator_id
       WHERE p.title = 'Autumn blend launch reels' AND c.handle = 'amara_outdoors'),
     120000, 'USD', 'failed', 'tr_seed_0002', 'Bank account closed (provider code account_closed).',
     '2025-10-02 09:06:00+00', NULL,
     '2025-10-02 09:06:00+00', '2025-10-05 08:00:00+00'),
    ((SELECT id FROM creators WHERE handle = 'amara_outdoors'),
     (SELECT pa.id FROM project_assignments pa
        JOIN projects p ON p.id = pa.project_id
        JOIN creators c ON c.id = pa.creator_id
       WHERE p.title = 'Autumn blend launch reels' AND c.handle = 'amara_outdoors'),
     120000, 'USD', 'processing', 'tr_seed_0003', NULL,
     '2025-10-20 10:00:00+00', NULL,
     '2025-10-20 10:00:00+00', '2025-10-20 10:01:00+00'),
    ((SELECT id FROM creators WHERE handle = 'sofia_glow'),
     (SELECT pa.id FROM project_assignments pa
        JOIN projects p ON p.id = pa.project_id
        JOIN creators c ON c.id = pa.creator_id
       WHERE p.title = 'Barrier cream 30-day review' AND c.handle = 'sofia_glow'),
     300000, 'EUR', 'pending', NULL, NULL,
     '2025-11-01 00:00:00+00', NULL,
     '2025-11-01 00:00:00+00', '2025-11-01 00:00:00+00');

INSERT INTO audit_log (occurred_at, actor_user_id, action, entity_type, entity_id, details, ip_address) VALUES
    ('2025-10-02 09:00:00+00',
     (SELECT id FROM users WHERE lower(email) = 'jonas.weber@northwind.example'),
     'project.status_changed', 'project',
     (SELECT id FROM projects WHERE title = 'Autumn blend launch reels'),
     '{"from": "in_progress", "to": "completed"}', '203.0.113.24'),
    ('2025-10-04 14:00:00+00',
     NULL,
     'payout.paid', 'payout',
     (SELECT id FROM payouts WHERE external_ref = 'tr_seed_0001'),
     '{"amount_cents": 250000, "currency": "USD"}', NULL),
    ('2025-10-05 08:00:00+00',
     NULL,
     'payout.failed', 'payout',
     (SELECT id FROM payouts WHERE external_ref = 'tr_seed_0002'),
     '{"reason": "account_closed"}', NULL),
    ('2025-06-01 12:00:00+00',
     (SELECT id FROM users WHERE lower(email) = 'priya.raman@lumenskin.example'),
     'api_token.created', 'api_token',
     (SELECT id FROM api_tokens WHERE name = 'Lumen reporting export'),
     '{"scopes": ["projects:read", "payouts:read"]}', '198.51.100.7');
