// Every call the console makes to Magi, in one place. Paths are relative to the console's own address
// (…/ui/), so the console works under whatever base path a reverse proxy puts Magi behind.

const ROOT = new URL('../', document.baseURI);
const TOKEN = 'magi.admin-token';
const API_KEY = 'magi.api-key';

/** An error answered by Magi: its HTTP status, its code and its message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The admin token typed into the login form: kept in this tab's sessionStorage, never in a cookie. */
export const adminToken = {
  get: () => sessionStorage.getItem(TOKEN),
  set: (value) => sessionStorage.setItem(TOKEN, value),
  clear: () => sessionStorage.removeItem(TOKEN),
};

/** An API key for the playground, when the gateway asks one (auth.api_keys); the admin token otherwise. */
export const apiKey = {
  get: () => sessionStorage.getItem(API_KEY) || '',
  set: (value) => (value ? sessionStorage.setItem(API_KEY, value) : sessionStorage.removeItem(API_KEY)),
};

let unauthorized = () => {};

/** What to do when Magi refuses the admin token (401): the app shows the login form. */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

function headers(credential, json) {
  const result = {};
  if (credential) result.Authorization = `Bearer ${credential}`;
  if (json) result['Content-Type'] = 'application/json';
  return result;
}

async function failure(response) {
  const text = await response.text();
  let error = {};
  try {
    error = JSON.parse(text).error || {};
  } catch {
    error = { message: text };
  }
  const message = typeof error === 'string' ? error : error.message || response.statusText;
  return new ApiError(response.status, error.code || error.type || '', message || `HTTP ${response.status}`);
}

async function send(method, path, body, credential) {
  const response = await fetch(new URL(path, ROOT), {
    method,
    headers: headers(credential, body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  if (!response.ok) {
    const error = await failure(response);
    if (error.status === 401 && path.startsWith('api/')) unauthorized(error);
    throw error;
  }
  return response;
}

async function admin(method, path, body) {
  const response = await send(method, path, body, adminToken.get());
  return response.status === 204 ? null : response.json();
}

function client(method, path, body) {
  return send(method, path, body, apiKey.get() || adminToken.get());
}

/**
 * The Server-Sent Events of a response, as {event, data, id} objects; ends with the stream.
 * A comment (": ping") is no event.
 */
export async function* serverSentEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer = (buffer + value).replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { event: 'message', data: [], id: null };
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') event.data.push(text);
        else if (field === 'event') event.event = text;
        else if (field === 'id') event.id = text;
      }
      if (event.data.length > 0 || event.id !== null) yield { ...event, data: event.data.join('\n') };
    }
  }
}

// The admin API (docs/admin-api.md).
export const registry = () => admin('GET', 'api/models/registry');
export const rescan = () => admin('POST', 'api/models/registry/rescan');
export const servers = () => admin('GET', 'api/models/servers');
export const router = () => admin('GET', 'api/router');
export const stats = (window = 60) => admin('GET', `api/stats?window=${window}`);
export const profiles = () => admin('GET', 'api/models/profiles');
export const cluster = () => admin('GET', 'api/cluster');
export const startModel = (name) => admin('POST', `api/models/${encodeURIComponent(name)}/start`);
export const stopModel = (name) => admin('POST', `api/models/${encodeURIComponent(name)}/stop`);
/** Activates a profile; resolves once the switch has ended, to {profile, started, stopped, kept, failed}. */
export const activateProfile = (name) => admin('POST', 'api/models/profile/activate', { profile_name: name });

export function recentRequests({ model = '', status = '', limit = 200 } = {}) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (model) query.set('model', model);
  if (status) query.set('status', status);
  return admin('GET', `api/requests?${query}`);
}

/** One of the last requests, with its body (redacted) when console.capture_bodies is on. */
export const recentRequest = (id) => admin('GET', `api/requests/${encodeURIComponent(id)}`);

/**
 * Follows a model server's log: {@code onLine(text, id)} for each line, the last 100 first, then each as
 * it is printed; after a drop it reconnects within a second and goes on after the last line seen.
 * {@code onState('live' | 'reconnecting' | 'error', detail)} tells how it stands. Returns a function
 * that stops following.
 */
export function followLog(name, onLine, onState) {
  const stop = new AbortController();
  let lastId = null;
  (async () => {
    while (!stop.signal.aborted) {
      try {
        const extra = lastId === null ? {} : { 'Last-Event-ID': lastId };
        const response = await fetch(new URL(`api/models/${encodeURIComponent(name)}/logs?follow=true`, ROOT), {
          headers: { ...headers(adminToken.get(), false), ...extra },
          cache: 'no-store',
          credentials: 'omit',
          signal: stop.signal,
        });
        if (!response.ok) {
          const error = await failure(response);
          onState('error', error.message);
          if (error.status === 401) unauthorized(error);
          if (error.status !== 429 && error.status < 500) return;
        } else {
          onState('live');
          for await (const event of serverSentEvents(response)) {
            if (event.id !== null) lastId = event.id;
            if (event.event === 'skipped') onLine(`… ${event.data} lines were dropped …`, event.id);
            else onLine(event.data, event.id);
          }
        }
      } catch (error) {
        if (stop.signal.aborted) return;
      }
      onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
  return () => stop.abort();
}

/** The models a client may ask for (GET /v1/models), with their status. */
export async function models() {
  const response = await client('GET', 'v1/models');
  return (await response.json()).data;
}

/**
 * A streamed chat: {@code onText(piece)} for each piece of the answer. Resolves to what the answer
 * cost: {text, requestId, ttftMs, durationMs, completionTokens, tokensPerSecond}.
 */
export async function chat(model, messages, onText, signal) {
  const began = performance.now();
  const response = await fetch(new URL('v1/chat/completions', ROOT), {
    method: 'POST',
    headers: headers(apiKey.get() || adminToken.get(), true),
    body: JSON.stringify({ model, messages, stream: true, stream_options: { include_usage: true } }),
    cache: 'no-store',
    credentials: 'omit',
    signal,
  });
  if (!response.ok) throw await failure(response);
  const result = { text: '', requestId: response.headers.get('x-request-id'), ttftMs: null, completionTokens: null };
  let firstAt = null;
  for await (const event of serverSentEvents(response)) {
    if (event.data === '[DONE]') break;
    const chunk = JSON.parse(event.data);
    if (chunk.error) throw new ApiError(502, chunk.error.code || chunk.error.type || '', chunk.error.message);
    const piece = chunk.choices?.[0]?.delta?.content || '';
    if (piece) {
      if (firstAt === null) {
        firstAt = performance.now();
        result.ttftMs = firstAt - began;
      }
      result.text += piece;
      onText(piece);
    }
    if (chunk.usage) result.completionTokens = chunk.usage.completion_tokens;
  }
  const endedAt = performance.now();
  result.durationMs = endedAt - began;
  const generating = firstAt === null ? 0 : (endedAt - firstAt) / 1000;
  result.tokensPerSecond = result.completionTokens && generating > 0 ? result.completionTokens / generating : null;
  return result;
}

/** Embeds {@code input}: {dimensions, norm, requestId}. */
export async function embed(model, input) {
  const response = await client('POST', 'v1/embeddings', { model, input });
  const body = await response.json();
  const vector = body.data[0].embedding;
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return { dimensions: vector.length, norm, requestId: response.headers.get('x-request-id') };
}

// Vector stores (OpenAI's API under /v1/).
export const vectorStores = async () => (await (await client('GET', 'v1/vector_stores?limit=100')).json()).data;
export const storeFiles = async (id) =>
  (await (await client('GET', `v1/vector_stores/${encodeURIComponent(id)}/files?limit=100`)).json()).data;
export const searchStore = async (id, query, maxResults = 10) =>
  (await (await client('POST', `v1/vector_stores/${encodeURIComponent(id)}/search`,
    { query, max_num_results: maxResults })).json()).data;
