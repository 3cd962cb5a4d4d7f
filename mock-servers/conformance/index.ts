export { startConformanceFixture, type ConformanceFixture, type ConformanceFixtureOptions } from './http.js';
export { createConformanceServer } from './server.js';
export { RED_PIXEL_PNG_BASE64, SILENT_WAV_BASE64 } from './media.js';
export { startModernConformanceFixture, type ModernConformanceFixture } from './modern.js';
