// The wxpub web editor: Decap CMS with the post format, the folder helpers and the WeChat preview.
// Copied to admin/wxpub-editor.js by `wxpub editor build` (do not edit the copy). Loaded as a module
// after vendor/decap-cms.js, which waits for CMS.init() because manual-init.js set CMS_MANUAL_INIT.
import { YAML } from './vendor/yaml/index.js';

const CMS = window.CMS;
const h = window.h;

// Keys the form uses to name the folder; they never reach index.md.
const INTERNAL = ['slug', '_wx_year', '_wx_monthday'];
// YAML 1.1 (what wxpub reads) without its timestamp type, so a date-time stays the text it was:
// `2026-12-08T10:00:00+08:00` is read as text and written back unquoted, with its offset.
const YAML_OPTIONS = {
  schema: 'yaml-1.1',
  customTags: tags => tags.filter(tag => tag.tag !== 'tag:yaml.org,2002:timestamp'),
};
YAML.scalarOptions.str.fold.lineWidth = 0;

const FRONT_MATTER = /^---[ \t]*\r?\n([\s\S]*?)\r?\n?(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/;

function fromFile(content) {
  const text = content || '';
  const match = FRONT_MATTER.exec(text);
  if (!match) {
    return { body: text };
  }
  const meta = match[1].trim() ? YAML.parse(match[1], YAML_OPTIONS) : {};
  const data = meta && typeof meta === 'object' && !Array.isArray(meta) ? meta : {};
  return { ...data, body: text.slice(match[0].length) };
}

// An empty form value (an untouched optional field) is left out, so the schema never sees `''` or `{}`.
function clean(value) {
  if (value === null || value === undefined || value === '') {
    return undefined;
  }
  if (Array.isArray(value)) {
    const items = value.map(clean).filter(item => item !== undefined);
    return items.length ? items : undefined;
  }
  if (typeof value === 'object') {
    const out = {};
    for (const [key, item] of Object.entries(value)) {
      const kept = clean(item);
      if (kept !== undefined) {
        out[key] = kept;
      }
    }
    return Object.keys(out).length ? out : undefined;
  }
  return value;
}

function toFile(data, sortedKeys) {
  const order = (sortedKeys || []).filter(key => key !== 'body' && !INTERNAL.includes(key));
  const meta = {};
  for (const key of order) {
    const kept = clean(data[key]);
    if (kept !== undefined) {
      meta[key] = kept;
    }
  }
  // Keys the form does not show (allow, comments, anything else) are written back as they were read.
  for (const key of Object.keys(data)) {
    if (key !== 'body' && !INTERNAL.includes(key) && !order.includes(key)) {
      meta[key] = data[key];
    }
  }
  const body = data.body || '';
  return `---\n${YAML.stringify(meta, YAML_OPTIONS)}---\n${body.startsWith('\n') ? '' : '\n'}${body}`;
}

CMS.registerCustomFormat('wxpub-post', 'md', { fromFile, toFile });

// The folder is posts/<yyyy>/<mm-dd>-<slug>/, from the publication date as written (bank time), not
// from the browser's clock or timezone; a new post without a short name gets a unique one.
CMS.registerEventListener({
  name: 'preSave',
  handler: ({ entry }) => {
    let data = entry.get('data');
    const when = /^(\d{4})-(\d{2})-(\d{2})T/.exec(String(data.get('publish_at') || ''));
    if (when) {
      data = data.set('_wx_year', when[1]).set('_wx_monthday', `${when[2]}-${when[3]}`);
    }
    if (entry.get('newRecord') && !data.get('slug')) {
      data = data.set('slug', `post-${Date.now().toString(36)}`);
    }
    return data;
  },
});

// "Ready" is never "merged": merging is the forge's, behind branch protection and the approval gate.
// Decap's publish button would merge the entry's branch; it is refused here before any call is made.
const NO_PUBLISH =
  '编辑器不能发布或合并：请在合并请求中完成逐级审批（单位负责人、合规部、电子银行部……），合并后由发布任务发布。';
CMS.registerEventListener({
  name: 'prePublish',
  handler: () => {
    throw new Error(NO_PUBLISH);
  },
});

// The preview: the bank's WeChat theme at phone width, with the reminder of what is exact.
const NOTE =
  '此处仅为大致效果（手机宽度、公众号样式）。确切的排版以合并请求的检查结果或 wxpub preview 为准。';
CMS.registerPreviewStyle(new URL('theme.css', document.baseURI).href);
CMS.registerPreviewStyle(
  `body { margin: 0; background: #ededed; }
  .wx-phone { width: 375px; max-width: 100%; margin: 0 auto; background: #fff; padding: 16px; box-sizing: border-box; }
  .wx-note { font-size: 12px; color: #8a6d00; background: #fff8db; padding: 6px 8px; margin: 0 0 12px; }
  .wx-cover { width: 100%; aspect-ratio: 2.35; object-fit: cover; display: block; margin: 0 0 12px; }
  .wx-title { font-size: 22px; line-height: 1.4; margin: 0 0 8px; color: #222; text-align: left; }
  .wx-meta { font-size: 14px; color: #999; margin: 0 0 16px; }
  .wx-article img { max-width: 100%; }`,
  { raw: true },
);

const Preview = window.createClass({
  render() {
    const { entry, getAsset, widgetFor } = this.props;
    const data = entry.get('data');
    const cover = data.get('cover');
    const coverAsset = cover ? getAsset(cover) : null;
    const when = String(data.get('publish_at') || '').replace('T', ' ').slice(0, 16);
    return h(
      'div',
      { className: 'wx-phone' },
      h('p', { className: 'wx-note' }, NOTE),
      coverAsset ? h('img', { className: 'wx-cover', src: coverAsset.toString(), alt: '' }) : null,
      h('h1', { className: 'wx-title' }, data.get('title') || ''),
      h('div', { className: 'wx-meta' }, `${data.get('author') || data.get('unit') || ''}  ${when}`),
      h('section', { className: 'wx-article' }, widgetFor('body')),
    );
  },
});
CMS.registerPreviewTemplate('posts', Preview);

CMS.init();
