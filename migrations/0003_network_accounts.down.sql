DROP TABLE outbox, login_failures, user_tokens, structure_regions, memberships, users, sites, structures, regions;
