// Playground: chat with any model, streamed, with the time to first token and tokens/s of each answer;
// embed a text and see the vector's length and norm.

import * as api from '../api.js';
import { fill, format, h, problem } from '../dom.js';

export default {
  title: 'Playground',
  mount(root) {
    const model = h('select', { name: 'model', 'aria-label': 'model' });
    const key = h('input', { type: 'password', name: 'api-key', placeholder: 'API key (when auth.api_keys is set)',
      value: api.apiKey.get(), autocomplete: 'off' });
    key.addEventListener('change', () => api.apiKey.set(key.value.trim()));
    const transcript = h('div', { class: 'transcript' });
    const prompt = h('textarea', { name: 'prompt', rows: 3, placeholder: 'Say something…' });
    const send = h('button', { type: 'submit' }, 'Send');
    const stop = h('button', { type: 'button', hidden: true }, 'Stop');
    const status = h('div');
    const messages = [];
    let running = null;

    const form = h('form', { class: 'chat' }, prompt, h('div', { class: 'toolbar' }, send, stop,
      h('button', { type: 'button', class: 'link', onclick: () => { messages.length = 0; fill(transcript); } }, 'Clear')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const text = prompt.value.trim();
      if (!text || !model.value || running) return;
      prompt.value = '';
      fill(status);
      messages.push({ role: 'user', content: text });
      transcript.append(h('div', { class: 'message user' }, text));
      const answer = h('div', { class: 'message assistant' });
      const figures = h('div', { class: 'figures muted' }, 'waiting for the first token…');
      transcript.append(answer, figures);
      running = new AbortController();
      send.disabled = true;
      stop.hidden = false;
      try {
        const result = await api.chat(model.value, messages, (piece) => answer.append(piece), running.signal);
        messages.push({ role: 'assistant', content: result.text });
        fill(figures, h('span', { 'data-figure': 'ttft' }, `TTFT ${format.ms(result.ttftMs)}`),
          ` · ${result.tokensPerSecond === null ? '–' : format.number(result.tokensPerSecond)} tok/s`,
          ` · ${result.completionTokens ?? '–'} tokens in ${format.ms(result.durationMs)} · `,
          h('code', { 'data-figure': 'request-id' }, result.requestId || ''));
      } catch (error) {
        messages.pop();
        fill(figures);
        fill(status, problem(error.name === 'AbortError' ? { message: 'Stopped.' } : error));
      } finally {
        running = null;
        send.disabled = false;
        stop.hidden = true;
      }
    });
    stop.addEventListener('click', () => running && running.abort());

    const embedModel = h('select', { name: 'embed-model', 'aria-label': 'embedding model' });
    const embedInput = h('input', { type: 'text', name: 'embed-input', placeholder: 'Text to embed' });
    const embedOut = h('div', { class: 'figures' });
    const embedForm = h('form', { class: 'embed' }, embedModel, embedInput, h('button', { type: 'submit' }, 'Embed'), embedOut);
    embedForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const result = await api.embed(embedModel.value, embedInput.value);
        fill(embedOut, h('span', { 'data-figure': 'dimensions' }, `${result.dimensions} dimensions`),
          ` · norm ${result.norm.toFixed(4)} · `, h('code', {}, result.requestId || ''));
      } catch (error) {
        fill(embedOut, problem(error));
      }
    });

    root.append(h('div', { class: 'toolbar' }, h('label', {}, 'Model ', model), key), status, transcript, form,
      h('h2', {}, 'Embeddings'), embedForm);

    api.models().then((list) => {
      const options = (items) => items.map((m) => h('option', { value: m.id }, `${m.id}${m.status && m.status !== 'loaded'
        ? ` (${m.status})` : ''}`));
      fill(model, options(list));
      fill(embedModel, options(list));
      if (list.length === 0) fill(status, h('p', { class: 'empty' }, 'No models to talk to.'));
    }, (error) => fill(status, problem(error)));

    return () => running && running.abort();
  },
};
