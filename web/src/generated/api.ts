// Generated from web/openapi.json by web/openapi-types.mjs (`make openapi`); do not edit.
export interface paths {
    "/v1/asset-grants/{grant}/{hash}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An archived asset of the session a listing's grant names */
        get: operations["getGrantedAsset"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/assets/{hash}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An archived asset of the token's project */
        get: operations["getAsset"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: operations["getOpenApi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/project": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The token's project: its public recorder key and ingest URL */
        get: operations["getProject"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/saved-filters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The project's saved filters */
        get: operations["listSavedFilters"];
        put?: never;
        /** Saves list parameters under a name */
        post: operations["saveFilter"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/saved-filters/{filter_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Deletes a saved filter (its author, or an admin) */
        delete: operations["deleteSavedFilter"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Sessions by end time, filtered */
        get: operations["listSessions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A session with its score breakdown and user */
        get: operations["getSession"];
        put?: never;
        post?: never;
        /** Deletes a session from every store, with a receipt (admin) */
        delete: operations["deleteSession"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}/assets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The session's assets: archived copies under `base`, and what could not be archived */
        get: operations["getSessionAssets"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The transcript */
        get: operations["getTranscript"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}/notes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A session's notes */
        get: operations["listNotes"];
        put?: never;
        /** Adds a note at a time of the session */
        post: operations["addNote"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}/notes/{note_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Deletes a note (its author, or an admin) */
        delete: operations["deleteNote"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}/recording": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The rrweb events per tab */
        get: operations["getRecording"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}/recording/chunks/{chunk_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One chunk of the recording */
        get: operations["getRecordingChunk"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}/recording/manifest": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The recording's chunks per tab, by time */
        get: operations["getRecordingManifest"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}/shares": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A session's share links (admin) */
        get: operations["listShares"];
        put?: never;
        /** Creates a share link (admin) */
        post: operations["createShare"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}/similar": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Sessions most like this one */
        get: operations["getSimilarSessions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/shared/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The shared session, without the user */
        get: operations["getSharedSession"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/shared/{token}/assets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The shared session's assets */
        get: operations["getSharedAssets"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/shared/{token}/assets/{hash}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An archived asset of the shared session */
        get: operations["getSharedAsset"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/shared/{token}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The shared session's transcript */
        get: operations["getSharedTranscript"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/shared/{token}/recording": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The shared session's recording */
        get: operations["getSharedRecording"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/shared/{token}/recording/chunks/{chunk_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One chunk of the shared session's recording */
        get: operations["getSharedRecordingChunk"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/shared/{token}/recording/manifest": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The shared session's recording manifest */
        get: operations["getSharedRecordingManifest"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/shares/{share_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revokes a share link at once (admin) */
        delete: operations["revokeShare"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{user_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A user's card */
        get: operations["getUser"];
        put?: never;
        post?: never;
        /** Deletes every session of a user from every store, with a receipt (admin) */
        delete: operations["deleteUser"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description One asset URL a session's pages use, and what became of it. */
        AssetEntry: {
            /**
             * Format: int64
             * @description The copy's size; 0 unless archived.
             */
            bytes: number;
            /** @description The copy's media type; empty unless archived. */
            content_type: string;
            /** @description Why it is not archived, such as `403 from cdn.example.com`; empty when archived. */
            error: string;
            /**
             * @description SHA-256 of the copy, lowercase hex: load it from the listing's `base` + `hash`. Empty
             *     unless archived.
             */
            hash: string;
            /**
             * @description `archived`, `failed`, `refused` (by the SSRF guard or the project's origin rules) or
             *     `pending` (seen, not fetched yet).
             */
            status: string;
            /** @description The absolute URL, resolved against the page's base URL. */
            url: string;
        };
        /** @description A session's assets. */
        AssetListing: {
            /** @description By URL. Empty when the asset stage did not run for the session. */
            assets: components["schemas"]["AssetEntry"][];
            /**
             * @description The path under which this listing's copies load, without credentials: it carries its own
             *     capability for this session's assets only.
             */
            base: string;
        };
        /** @description Objects removed from blob storage. */
        BlobsRemoved: {
            /**
             * Format: int64
             * @description Recording chunks.
             */
            chunk_blobs: number;
            /**
             * Format: int64
             * @description The sessions' data keys (`keys/{project}/{session}/…`): what is still stored elsewhere
             *     under them can no longer be decrypted.
             */
            keys: number;
        };
        /**
         * @description What `DELETE /v1/sessions/{id}` or `DELETE /v1/users/{id}` removed, store by store, and
         *     what is not gone yet (docs/guarantees.md, "Deletion").
         */
        DeletionReceipt: {
            blobs: components["schemas"]["BlobsRemoved"];
            /** @description Counted only, nothing removed (`playback delete --dry-run`). */
            dry_run: boolean;
            log: components["schemas"]["LogRemoved"];
            /** @description What is not gone yet, and when it will be; empty when everything is gone. */
            pending: components["schemas"]["PendingRemoval"][];
            project_id: string;
            /** @description Every session deleted. */
            session_ids: string[];
            /** @description The user whose sessions these were; `null` for the deletion of one session. */
            user_id?: string | null;
            warehouse: components["schemas"]["WarehouseRemoved"];
        };
        Error: {
            error: string;
        };
        /**
         * @description The kind of a transcript event. Its name (`page_view`, `rage_click`, ...) is what the
         *     warehouses store and the query API serves.
         * @enum {string}
         */
        EventKind: "page_view" | "click" | "input" | "exception" | "custom" | "rage_click" | "dead_click" | "identify";
        /** @description One factor's share of a session's score, as `score_breakdown_json` stores it. */
        Factor: {
            /** @description `clicks`, `urls`, `inputs`, `activity` or `recency`. */
            factor: string;
            /**
             * Format: double
             * @description `raw` mapped onto 0..1.
             */
            normalized: number;
            /**
             * Format: double
             * @description `normalized * weight`.
             */
            points: number;
            /**
             * Format: double
             * @description The measured value: a count, a share of the duration, or an age in hours.
             */
            raw: number;
            /** Format: double */
            weight: number;
        };
        /** @description What the event log removed. */
        LogRemoved: {
            /**
             * Format: int64
             * @description Tombstones published on the sessionizer's changelog, one per session, on a log that
             *     cannot remove its records (Kafka); 0 where the records themselves were removed.
             */
            changelog_tombstones: number;
            /**
             * Format: int64
             * @description Records with the sessions' keys, on every topic (0 on Kafka, which cannot remove them).
             */
            log_records: number;
        };
        /** @description A transcript event reduced to its time and kind, for the list's timeline bars. */
        Mark: {
            kind: components["schemas"]["EventKind"];
            /**
             * Format: int64
             * @description ms since the session's start.
             */
            offset_ms: number;
        };
        NewNote: {
            offset_ms: number;
            text: string;
        };
        NewSavedFilter: {
            name: string;
            query: string;
        };
        NewShare: {
            expires_in_hours?: number;
        };
        Note: {
            author: string;
            created_at: number;
            note_id: string;
            offset_ms: number;
            session_id: string;
            text: string;
        };
        Notes: {
            notes: components["schemas"]["Note"][];
        };
        /** @description Something of the deleted sessions that is not gone yet. */
        PendingRemoval: {
            /** @description When it will be gone, such as `by the topic's retention.ms`. */
            gone_by: string;
            /** @description Its state now, such as `unreadable now` or `in progress`. */
            state: string;
            /** @description `kafka_raw_batches`, `kafka_session_updates`, `kafka_changelog` or `clickhouse_mutations`. */
            store: string;
        };
        /** @description The caller's project as its recorders know it. */
        ProjectInfo: {
            /**
             * @description Where recorders send batches and load `/recorder.js` (`query.ingest_url`); `null` when
             *     not configured, which means the UI's own origin (as with `playback up`).
             */
            ingest_url?: string | null;
            project_id: string;
            /** @description The key a recorder sends (`data-key`); `null` when no project of the config has this id. */
            public_key?: string | null;
        };
        Recording: {
            session_id: string;
            windows: {
                events: Record<string, never>[];
                window_id: string;
            }[];
        };
        RecordingChunk: {
            batches: {
                events: Record<string, never>[];
                seq: number;
            }[];
            window_id: string;
        };
        RecordingManifest: {
            archived_events: number;
            complete: boolean;
            session_events: number;
            session_id: string;
            windows: {
                chunks: {
                    bytes: number;
                    events: number;
                    first_seq: number;
                    first_ts_ms: number;
                    id: string;
                    last_seq: number;
                    last_ts_ms: number;
                    snapshot: boolean;
                }[];
                first_ts_ms: number;
                last_ts_ms: number;
                window_id: string;
            }[];
        };
        SavedFilter: {
            author: string;
            created_at: number;
            filter_id: string;
            name: string;
            query: string;
        };
        SavedFilters: {
            filters: components["schemas"]["SavedFilter"][];
        };
        /** @description One session with its pages, event names, score breakdown and user. */
        SessionDetail: components["schemas"]["SessionFields"] & {
            event_names: string[];
            /** @description The stored factors, then recency as of the request. */
            score_breakdown: components["schemas"]["Factor"][];
            urls: string[];
            user?: null | components["schemas"]["SessionUser"];
        };
        /**
         * @description A session as every view shows it: its stored row for the reader, and its score at query
         *     time.
         */
        SessionFields: {
            /** Format: int64 */
            active_ms: number;
            browser: string;
            browser_version: string;
            /** Format: int32 */
            clicks: number;
            closed: boolean;
            /** Format: int32 */
            custom_events: number;
            /** Format: int32 */
            dead_clicks: number;
            device_type: string;
            /** Format: int64 */
            duration_ms: number;
            /**
             * Format: int64
             * @description ms UTC.
             */
            end_time: number;
            entry_url: string;
            /** Format: int32 */
            errors: number;
            /** Format: int64 */
            events: number;
            exit_url: string;
            /** Format: int64 */
            inactive_ms: number;
            /** Format: int32 */
            inputs: number;
            os: string;
            os_version: string;
            /** Format: int32 */
            page_views: number;
            project_id: string;
            /** Format: int32 */
            rage_clicks: number;
            /**
             * Format: double
             * @description The base score plus recency, to one decimal.
             */
            score: number;
            /** Format: int32 */
            screen_height: number;
            /**
             * Format: int32
             * @description The device's screen (`screen.width/height`) in CSS pixels; 0 when the recorder did not
             *     send it.
             */
            screen_width: number;
            session_id: string;
            /**
             * Format: int64
             * @description ms UTC.
             */
            start_time: number;
            /** @description `null` for an anonymous visitor; left out of a shared session. */
            user_id?: string | null;
            /** @description The traits object of `identify`; left out of a shared session. */
            user_traits?: unknown;
            /** Format: int32 */
            viewport_height: number;
            /**
             * Format: int32
             * @description The page's viewport (the rrweb Meta size) in CSS pixels; 0 when unknown.
             */
            viewport_width: number;
            /** Format: int32 */
            windows: number;
        };
        /** @description A page of a listing. */
        SessionPage: {
            /** @description `null` on the last page. */
            next_cursor?: string | null;
            sessions: components["schemas"]["SessionSummary"][];
        };
        /** @description A session of a listing. */
        SessionSummary: components["schemas"]["SessionFields"] & {
            /** @description At most 200, evenly thinned. */
            marks: components["schemas"]["Mark"][];
        };
        /** @description Who the visitor of a session is, across their sessions. */
        SessionUser: {
            /**
             * Format: int64
             * @description ms UTC.
             */
            first_seen: number;
            session_count: number;
            /** @description This session's place among the user's sessions by start time, from 1. */
            session_number: number;
            user_id: string;
        };
        Share: {
            author: string;
            created_at: number;
            expires_at: number;
            revoked: boolean;
            session_id: string;
            share_id: string;
            url?: string;
        };
        Shares: {
            shares: components["schemas"]["Share"][];
        };
        /** @description A session like another one. */
        SimilarSession: components["schemas"]["SessionFields"] & {
            reasons: string[];
            /**
             * Format: double
             * @description 0 to 1, to three decimals.
             */
            similarity: number;
        };
        /** @description The sessions most like one session, most alike first. */
        SimilarSessions: {
            sessions: components["schemas"]["SimilarSession"][];
        };
        /** @description A session's transcript in time order. */
        Transcript: {
            events: components["schemas"]["TranscriptEvent"][];
        };
        /** @description One transcript event. */
        TranscriptEvent: {
            kind: components["schemas"]["EventKind"];
            /** @description The custom event's name, or the exception's message. */
            name: string;
            /**
             * Format: int64
             * @description ms since the session's start.
             */
            offset_ms: number;
            /**
             * @description Custom event properties or exception details; for clicks and inputs the element's
             *     `label` and `element` kind, for page views the `page_title`, for identify the `user_id`.
             */
            props: unknown;
            /** @description A description of the element, such as `button "Save"`. */
            target: string;
            /**
             * @description What happened, in words: `Clicked "Password" field`, `Changed "Plan"`,
             *     `Viewed "Checkout · Demo shop"`, `Identified as ada@example.com` (docs/transcript.md).
             */
            title: string;
            /**
             * Format: int64
             * @description Server time, ms UTC.
             */
            ts: number;
            url: string;
            window_id: string;
        };
        User: {
            first_seen: number;
            last_seen: number;
            session_count: number;
            traits?: unknown;
            user_id: string;
        };
        /** @description Rows removed from the warehouse, each identity once (a session's versions count once). */
        WarehouseRemoved: {
            /**
             * Format: int64
             * @description Recording chunk rows.
             */
            chunks: number;
            /**
             * Format: int64
             * @description Transcript rows.
             */
            events: number;
            /** Format: int64 */
            notes: number;
            /** Format: int64 */
            session_assets: number;
            /**
             * Format: int64
             * @description Session rows; the user card is made of them.
             */
            sessions: number;
            /** Format: int64 */
            shares: number;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getGrantedAsset: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the grant in a listing's base */
                grant: string;
                /** @description an archived asset's SHA-256, lowercase hex */
                hash: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the copy, with its stored Content-Type */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "*/*": string;
                };
            };
            /** @description not modified: If-None-Match names the chunk's ETag */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the link expired or was revoked */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getAsset: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description an archived asset's SHA-256, lowercase hex */
                hash: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the copy, with its stored Content-Type */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "*/*": string;
                };
            };
            /** @description not modified: If-None-Match names the chunk's ETag */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getOpenApi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the OpenAPI document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the link expired or was revoked */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getProject: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the project */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectInfo"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listSavedFilters: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the saved filters */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SavedFilters"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    saveFilter: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NewSavedFilter"];
            };
        };
        responses: {
            /** @description the saved filter */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SavedFilter"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteSavedFilter: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description saved filter id */
                filter_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the token is neither the author's nor an admin token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listSessions: {
        parameters: {
            query?: {
                /** @description end time at least this, ms UTC (default: 7 days ago) */
                from?: number;
                /** @description end time before this, ms UTC */
                to?: number;
                sort?: "recent" | "score";
                /** @description 1 to 500 (50) */
                limit?: number;
                /** @description next_cursor of the previous page */
                cursor?: string;
                /** @description a custom event of this name occurred */
                event?: string;
                /** @description key=value on that event's properties */
                event_prop?: string;
                /** @description key=value on the user's traits; may repeat */
                user_prop?: string;
                /** @description the user id or email trait */
                user?: string;
                /** @description a page view's URL contains this */
                url?: string;
                url_match?: "contains" | "exact";
                /** @description browser name, any case */
                browser?: string;
                /** @description OS name, any case */
                os?: string;
                /** @description desktop, mobile, tablet, bot or other */
                device_type?: string;
                /** @description inclusive */
                min_duration_ms?: number;
                /** @description inclusive */
                max_duration_ms?: number;
                /** @description inclusive */
                min_active_ms?: number;
                /** @description inclusive */
                max_active_ms?: number;
                /** @description score with recency, at least */
                min_score?: number;
                /** @description page views, inclusive */
                min_pages?: number;
                /** @description page views, inclusive */
                max_pages?: number;
                /** @description at least one JS error */
                has_errors?: boolean;
                /** @description at least one rage click */
                has_rage_clicks?: boolean;
                /** @description at least one dead click */
                has_dead_clicks?: boolean;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description a page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionPage"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description session id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the session */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionDetail"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description session id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description what was removed where, and what is not gone yet */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeletionReceipt"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the token is not an admin token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSessionAssets: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description session id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the listing */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AssetListing"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getTranscript: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description session id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the transcript */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Transcript"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listNotes: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description session id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the notes */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Notes"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    addNote: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description session id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NewNote"];
            };
        };
        responses: {
            /** @description the note */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Note"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteNote: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description session id */
                id: string;
                /** @description note id */
                note_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the token is neither the author's nor an admin token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getRecording: {
        parameters: {
            query?: {
                /** @description one tab only */
                window_id?: string;
            };
            header?: never;
            path: {
                /** @description session id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the recording */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Recording"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getRecordingChunk: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description session id */
                id: string;
                /** @description a chunk id from the manifest */
                chunk_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the chunk's batches by seq */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecordingChunk"];
                };
            };
            /** @description not modified: If-None-Match names the chunk's ETag */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getRecordingManifest: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description session id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the manifest */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecordingManifest"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listShares: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description session id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the share links */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Shares"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the token is not an admin token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createShare: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description session id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NewShare"];
            };
        };
        responses: {
            /** @description the share link with its url */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Share"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the token is not an admin token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSimilarSessions: {
        parameters: {
            query?: {
                /** @description 1 to 20 (5) */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description session id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description similar sessions */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SimilarSessions"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSharedSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description share token */
                token: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the session */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionDetail"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the link expired or was revoked */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSharedAssets: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description share token */
                token: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the listing */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AssetListing"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the link expired or was revoked */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSharedAsset: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description share token */
                token: string;
                /** @description an archived asset's SHA-256, lowercase hex */
                hash: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the copy, with its stored Content-Type */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "*/*": string;
                };
            };
            /** @description not modified: If-None-Match names the chunk's ETag */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the link expired or was revoked */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSharedTranscript: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description share token */
                token: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the transcript */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Transcript"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the link expired or was revoked */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSharedRecording: {
        parameters: {
            query?: {
                /** @description one tab only */
                window_id?: string;
            };
            header?: never;
            path: {
                /** @description share token */
                token: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the recording */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Recording"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the link expired or was revoked */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSharedRecordingChunk: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description share token */
                token: string;
                /** @description a chunk id from the manifest */
                chunk_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the chunk's batches by seq */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecordingChunk"];
                };
            };
            /** @description not modified: If-None-Match names the chunk's ETag */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the link expired or was revoked */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSharedRecordingManifest: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description share token */
                token: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the manifest */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecordingManifest"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the link expired or was revoked */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    revokeShare: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description share id */
                share_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the token is not an admin token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description user id */
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the user */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description user id */
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description what was removed where, and what is not gone yet */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeletionReceipt"];
                };
            };
            /** @description a parameter or the body is invalid */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no token, or an unknown one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description the token is not an admin token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found in the token's project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
