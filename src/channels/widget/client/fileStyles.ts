/** The styles of the file parts (composer and conversation), added to the widget's sheet. */
export const FILE_CSS = `
.icon{flex:none;width:36px;height:42px;border:1px solid #767f8e;border-radius:8px;background:#fff;color:#0b4f8a;cursor:pointer;display:flex;align-items:center;justify-content:center;padding:0}
.icon svg{width:22px;height:22px;fill:currentColor}
textarea::placeholder{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tray{padding:8px 10px 0;background:#fff;border-top:1px solid #d5d9e0}
.tray[hidden]{display:none}
.tray .item{display:flex;align-items:center;gap:8px;font-size:13px}
.tray img{width:48px;height:48px;object-fit:cover;border-radius:6px}
.tray progress{width:100%;height:6px;margin-top:6px}
.name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;min-width:0;flex:1}
.size{color:#4a5260;flex:none}
.remove{flex:none;width:32px;height:32px;border:0;border-radius:8px;background:#e6eaf0;font-size:20px;cursor:pointer;color:#1d1f23}
.doc{flex:none;font-size:11px;font-weight:700;background:#b3261e;color:#fff;border-radius:4px;padding:3px 5px}
.file-error{background:#fde7e6;color:#8c1d18;font-size:13px;padding:6px 14px}
.file-error:empty{display:none}
.panel.dropping{outline:3px dashed #0b4f8a;outline-offset:-6px}
.panel.dropping::after{content:attr(data-drop);position:absolute;inset:auto 0 70px;text-align:center;font-weight:600;color:#0b4f8a}
.msg .body:empty{display:none}
.files{display:flex;flex-wrap:wrap;gap:6px;margin-top:4px;justify-content:inherit}
.thumb{padding:0;border:0;border-radius:10px;overflow:hidden;cursor:zoom-in;background:#e6eaf0;line-height:0}
.thumb img{display:block;width:160px;height:120px;object-fit:cover}
.chip{display:flex;align-items:center;gap:6px;max-width:240px;font:inherit;font-size:13px;padding:6px 9px;border:1px solid #767f8e;border-radius:10px;background:#fff;color:#1d1f23;cursor:pointer}
.viewer{position:absolute;inset:0;background:rgba(0,0,0,.88);display:flex;align-items:center;justify-content:center;z-index:1}
.viewer[hidden]{display:none}
.viewer img{max-width:100%;max-height:100%;object-fit:contain}
.viewer .close{position:absolute;top:8px;right:8px;background:rgba(0,0,0,.5)}
`;
