-- +goose Up
-- Every slug a room ever had (issue 17: room hijack by slug). A slug is the
-- room's link: sent in invitations, printed, bookmarked. Once handed out it
-- must lead to that room or to nothing, never to a stranger's room created
-- later under the same name. So slugs carry a random suffix (core.NewSlug),
-- and this table keeps each one after a rename (the old link still finds the
-- room) and after the room is deleted (no foreign key: the slug stays taken).
CREATE TABLE room_slugs (
    slug        text PRIMARY KEY,
    room_id     uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX room_slugs_room ON room_slugs (room_id);

INSERT INTO room_slugs (slug, room_id) SELECT slug, id FROM rooms;

-- Whatever writes rooms, a new slug is recorded in the same statement: a slug
-- ever used makes the insert or update fail with room_slugs_pkey.
-- +goose StatementBegin
CREATE FUNCTION rooms_keep_slug() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO room_slugs (slug, room_id) VALUES (NEW.slug, NEW.id);
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER rooms_slug_inserted AFTER INSERT ON rooms
    FOR EACH ROW EXECUTE FUNCTION rooms_keep_slug();
CREATE TRIGGER rooms_slug_updated AFTER UPDATE OF slug ON rooms
    FOR EACH ROW WHEN (OLD.slug IS DISTINCT FROM NEW.slug) EXECUTE FUNCTION rooms_keep_slug();

-- +goose Down
DROP TRIGGER rooms_slug_updated ON rooms;
DROP TRIGGER rooms_slug_inserted ON rooms;
DROP FUNCTION rooms_keep_slug();
DROP TABLE room_slugs;
