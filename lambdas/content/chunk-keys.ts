/** A content job's chunks are its sections: `content__<section id>`. */
export const CONTENT_CHUNK_PREFIX = 'content__';
export const sectionChunkKey = (sectionId: string) => `${CONTENT_CHUNK_PREFIX}${sectionId}`;
export const sectionIdOf = (chunkKey: string) => chunkKey.slice(CONTENT_CHUNK_PREFIX.length);
