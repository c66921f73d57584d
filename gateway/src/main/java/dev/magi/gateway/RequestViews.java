package dev.magi.gateway;

/**
 * What the operator's views are fed from each request to a model when it ends.
 *
 * @param recent the last requests ({@code GET /api/requests})
 * @param stats the live figures ({@code GET /api/stats})
 */
record RequestViews(RecentRequests recent, LiveStats stats) {
}
