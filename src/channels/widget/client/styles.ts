/** Inside a shadow root: the host page's CSS does not reach the widget and ours does not leak out. Colours are
 * chosen for WCAG AA contrast (4.5:1 or more) on their backgrounds. */
export const CSS = `
:host{all:initial}
*{box-sizing:border-box}
.root{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1f23}
.bubble{position:fixed;right:20px;bottom:20px;width:60px;height:60px;border-radius:50%;border:0;background:#0b4f8a;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.3);display:flex;align-items:center;justify-content:center;z-index:2147483000}
.bubble svg{width:28px;height:28px;fill:currentColor}
.badge{position:absolute;top:-2px;right:-2px;min-width:22px;height:22px;border-radius:11px;background:#b3261e;color:#fff;font-size:12px;font-weight:700;line-height:22px;padding:0 6px}
.badge[hidden]{display:none}
.panel{position:fixed;right:20px;bottom:92px;width:370px;max-width:calc(100vw - 24px);height:560px;max-height:calc(100vh - 112px);background:#fff;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.3);display:flex;flex-direction:column;overflow:hidden;z-index:2147483000}
.panel[hidden]{display:none}
header{flex:none;background:#0b4f8a;color:#fff;padding:12px 14px;display:flex;align-items:center;gap:8px}
h2{font-size:16px;margin:0;flex:1;font-weight:600}
.close{background:transparent;border:0;color:#fff;font-size:24px;line-height:1;width:36px;height:36px;border-radius:8px;cursor:pointer}
.status{flex:none;background:#fff4d6;color:#3d2f00;font-size:13px;padding:6px 14px}
.status:empty{display:none}
.log{flex:1;min-height:0;overflow-y:auto;padding:12px;background:#f6f7f9}
.intro{color:#3f4653;font-size:14px;margin:0 0 8px}
.msg{margin:8px 0;max-width:86%;display:flex;flex-direction:column}
.msg .body{padding:8px 11px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere;background:#e6eaf0}
.msg.customer{margin-left:auto;align-items:flex-end}
.msg.customer .body{background:#0b4f8a;color:#fff}
.msg.customer .body a{color:#fff}
.msg.agent .body{background:#fff4d6;color:#1d1f23}
.msg.pending .body{opacity:.75}
.msg.failed .body{outline:2px solid #b3261e}
.meta{font-size:12px;color:#4a5260;margin:2px 4px}
.body a{color:#0b4f8a;text-decoration:underline}
.suggestions{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}
.suggestions button{font:inherit;font-size:14px;padding:6px 11px;border:1px solid #0b4f8a;background:#fff;color:#0b4f8a;border-radius:999px;cursor:pointer;text-align:left}
.suggestions button:hover{background:#e8f0f8}
.feedback{display:flex;align-items:center;gap:4px;font-size:13px;color:#3f4653;margin:4px 4px 0}
.feedback button{font:inherit;font-size:16px;line-height:1;padding:4px 7px;border:1px solid #c3c9d2;background:#fff;border-radius:8px;cursor:pointer}
.feedback button:hover{background:#e8f0f8}
.typing{font-size:13px;color:#3f4653;padding:0 14px;min-height:20px;background:#f6f7f9}
form{flex:none;display:flex;gap:8px;padding:10px;border-top:1px solid #d5d9e0;background:#fff}
textarea{flex:1;font:inherit;resize:none;height:42px;padding:9px 10px;border:1px solid #767f8e;border-radius:8px;color:#1d1f23}
.send{font:inherit;font-weight:600;padding:0 14px;border:0;border-radius:8px;background:#0b4f8a;color:#fff;cursor:pointer}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
button:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid #f2a900;outline-offset:2px}
@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}.panel:not([hidden])~.bubble{display:none}}
`;
