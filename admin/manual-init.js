// Decap CMS starts only when wxpub-editor.js has registered the post format and calls CMS.init().
window.CMS_MANUAL_INIT = true;
