// Drives Magi with Ollama's official JavaScript client (npm `ollama`), unmodified but for its host.
// Usage: node ollama-client.mjs HOST CHAT_MODEL EMBED_MODEL
// Prints one JSON object of what each call returned; exits 1, with the error, when a call throws.
import { Ollama } from 'ollama';

const [host, chatModel, embedModel] = process.argv.slice(2);
const ollama = new Ollama({ host });
const out = {};

const tools = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city.',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}];

try {
  out.version = (await ollama.version()).version;
  out.tags = (await ollama.list()).models.map((m) => m.name);
  out.ps = (await ollama.ps()).models.map((m) => m.name);
  const shown = await ollama.show({ model: chatModel });
  out.showCapabilities = shown.capabilities;

  const chat = await ollama.chat({ model: chatModel, messages: [{ role: 'user', content: 'Hello there!' }],
    options: { num_predict: 4, temperature: 0 } });
  out.chat = { content: chat.message.content, done: chat.done, doneReason: chat.done_reason,
    evalCount: chat.eval_count, promptEvalCount: chat.prompt_eval_count };

  const pieces = [];
  let last;
  for await (const part of await ollama.chat({ model: chatModel, stream: true,
    messages: [{ role: 'user', content: 'Hello there!' }], options: { num_predict: 4 } })) {
    pieces.push(part.message.content);
    last = part;
  }
  out.chatStream = { pieces, done: last.done, doneReason: last.done_reason, evalCount: last.eval_count };

  const generated = [];
  for await (const part of await ollama.generate({ model: chatModel, prompt: 'Hello', stream: true,
    options: { num_predict: 3 } })) {
    generated.push(part.response);
  }
  out.generate = generated.join('');
  out.generateWhole = (await ollama.generate({ model: chatModel, prompt: 'Hello', options: { num_predict: 2 } }))
    .response;

  const asked = await ollama.chat({ model: chatModel, tools,
    messages: [{ role: 'user', content: 'What is the weather in Paris?' }] });
  out.toolCalls = asked.message.tool_calls;
  const answered = await ollama.chat({ model: chatModel, tools, messages: [
    { role: 'user', content: 'What is the weather in Paris?' }, asked.message,
    { role: 'tool', content: '18 degrees and sunny', tool_name: 'get_weather' }],
    options: { num_predict: 3 } });
  out.afterTool = answered.message.content;

  const streamedCalls = [];
  for await (const part of await ollama.chat({ model: chatModel, tools, stream: true,
    messages: [{ role: 'user', content: 'What is the weather in Paris?' }] })) {
    if (part.message.tool_calls) streamedCalls.push(...part.message.tool_calls);
  }
  out.streamedToolCalls = streamedCalls;

  const embedded = await ollama.embed({ model: embedModel, input: ['one', 'two'] });
  out.embed = embedded.embeddings.map((v) => v.length);
  out.embeddingsLegacy = (await ollama.embeddings({ model: embedModel, prompt: 'one' })).embedding.length;

  try {
    await ollama.chat({ model: 'no-such-model', messages: [{ role: 'user', content: 'Hi' }] });
    out.unknownModel = 'no error';
  } catch (e) {
    out.unknownModel = { status: e.status_code, message: e.error };
  }
  try {
    await ollama.pull({ model: 'llama3.2', stream: false });
    out.pull = 'no error';
  } catch (e) {
    out.pull = { status: e.status_code, message: e.error };
  }
  console.log(JSON.stringify(out));
} catch (e) {
  console.error(`${e.name}: ${e.message}`, e.status_code ?? '');
  console.log(JSON.stringify(out));
  process.exit(1);
}
