// The playground: the SDK's browser build against this API (same origin), nothing else.
import { Sdedge } from './sdk.js';

const $ = (id) => document.getElementById(id);
const state = { image: null, mask: null, controller: null };

$('key').value = localStorage.getItem('sdedge-key') ?? '';
$('mode').addEventListener('change', showInit);
$('image').addEventListener('change', loadImage);
$('form').addEventListener('submit', (event) => {
  event.preventDefault();
  generate().catch((error) => status(`${error.name}: ${error.message}`));
});
$('stop').addEventListener('click', () => state.controller?.abort());
setupBrush();
loadCatalog();

const client = () => new Sdedge({ apiKey: $('key').value.trim(), baseUrl: location.origin });
const status = (text) => {
  $('status').textContent = text;
};
const number = (id) => ($(id).value === '' ? undefined : Number($(id).value));

/** Models from /v1/models (needs the key), samplers from the OpenAPI document. */
async function loadCatalog() {
  const doc = await (await fetch('/openapi.json')).json();
  const { enum: samplers, default: preferred } =
    doc.components.schemas.Txt2ImgRequest.properties.sampler;
  $('sampler').replaceChildren(
    ...samplers.map((s) => new Option(s, s, s === preferred, s === preferred)),
  );
  $('model').replaceChildren(new Option('sdedge-micro', 'sdedge-micro'));
  if (!$('key').value) return;
  try {
    const { data } = await client().models();
    // Only models a runner serves now are listed; with none, jobs wait for one to start.
    if (data.length === 0) {
      status('No runner is serving a model right now: jobs wait in the queue for one.');
      return;
    }
    $('model').replaceChildren(
      ...data.map((m) => new Option(`${m.id} (${m.default_size}px)`, m.id)),
    );
  } catch {}
}

function showInit() {
  const mode = $('mode').value;
  $('init').hidden = mode === 'txt2img';
  $('brush-help').hidden = mode !== 'inpaint';
  $('strength').value = mode === 'inpaint' ? '1' : '0.75';
}

async function loadImage() {
  const file = $('image').files[0];
  if (!file) return;
  state.image = await createImageBitmap(file);
  const canvas = $('canvas');
  canvas.width = state.image.width;
  canvas.height = state.image.height;
  state.mask = new OffscreenCanvas(canvas.width, canvas.height);
  const mask = state.mask.getContext('2d');
  mask.fillStyle = '#000';
  mask.fillRect(0, 0, canvas.width, canvas.height);
  redraw();
}

function redraw() {
  const ctx = $('canvas').getContext('2d');
  if (!state.image) return;
  ctx.globalAlpha = 1;
  ctx.drawImage(state.image, 0, 0);
  ctx.globalAlpha = 0.5;
  ctx.drawImage(state.mask, 0, 0);
}

/** A round brush that paints white into the mask (shown over the image at half opacity). */
function setupBrush() {
  const canvas = $('canvas');
  let down = false;
  const paint = (event) => {
    if (!down || !state.mask || $('mode').value !== 'inpaint') return;
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * canvas.width;
    const y = ((event.clientY - box.top) / box.height) * canvas.height;
    const mask = state.mask.getContext('2d');
    mask.fillStyle = '#fff';
    mask.beginPath();
    mask.arc(x, y, Math.max(2, canvas.width / 12), 0, Math.PI * 2);
    mask.fill();
    redraw();
  };
  canvas.addEventListener('pointerdown', (event) => {
    down = true;
    paint(event);
  });
  canvas.addEventListener('pointermove', paint);
  window.addEventListener('pointerup', () => {
    down = false;
  });
}

async function generate() {
  localStorage.setItem('sdedge-key', $('key').value.trim());
  const sd = client();
  const mode = $('mode').value;
  state.controller = new AbortController();
  $('go').disabled = true;
  $('stop').disabled = false;
  $('results').replaceChildren();
  $('preview').hidden = true;
  const options = {
    negativePrompt: $('negative').value || undefined,
    model: $('model').value,
    sampler: $('sampler').value,
    steps: number('steps'),
    guidanceScale: number('guidance'),
    seed: number('seed'),
    width: number('width'),
    height: number('height'),
    n: number('n'),
    signal: state.controller.signal,
    onProgress: ({ step, totalSteps, preview }) => {
      $('bar').value = step / totalSteps;
      status(`Step ${step} of ${totalSteps}`);
      if (preview) {
        $('preview').src = preview;
        $('preview').hidden = false;
        $('preview').dataset.previews = String(Number($('preview').dataset.previews ?? 0) + 1);
      }
    },
  };
  for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];
  status('Queued...');
  try {
    const prompt = $('prompt').value;
    let result;
    if (mode === 'txt2img') result = await sd.txt2img(prompt, options);
    else {
      if (!state.image) throw new Error('Choose an init image first.');
      const image = await toBlob($('canvas'), () => redrawImageOnly());
      const strength = number('strength');
      result =
        mode === 'img2img'
          ? await sd.img2img(image, prompt, { ...options, strength })
          : await sd.inpaint(image, await state.mask.convertToBlob({ type: 'image/png' }), prompt, {
              ...options,
              strength,
            });
      redraw();
    }
    showResults(result);
  } finally {
    $('go').disabled = false;
    $('stop').disabled = true;
  }
}

function redrawImageOnly() {
  const ctx = $('canvas').getContext('2d');
  ctx.globalAlpha = 1;
  ctx.drawImage(state.image, 0, 0);
}

function toBlob(canvas, prepare) {
  prepare();
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
}

function showResults({ job, images }) {
  status(
    `Done: job ${job.id}, ${job.usage.credits} credits, ${job.usage.runner_seconds?.toFixed(2)} s on the runner.`,
  );
  $('bar').value = 1;
  $('results').replaceChildren(
    ...images.map((image) => {
      const figure = document.createElement('figure');
      const img = document.createElement('img');
      img.src = image.url;
      img.alt = `seed ${image.seed}`;
      img.className = 'result';
      const caption = document.createElement('figcaption');
      const { prompt, negative_prompt, sampler, steps, guidance_scale, model } = job.input;
      caption.textContent = `${prompt}\n${negative_prompt ? `Negative: ${negative_prompt}\n` : ''}Steps: ${steps}, Sampler: ${sampler}, CFG: ${guidance_scale}, Seed: ${image.seed}, Size: ${image.width}x${image.height}, Model: ${model}`;
      figure.append(img, caption);
      return figure;
    }),
  );
}
