(function(){
var d=document,w=window,t=0,on=0,a=d.getElementById('open'),web=d.getElementById('web');
function stop(){clearTimeout(t);t=0}
function go(){t=0;if(on&&!d.hidden)location.replace(web.href)}
function arm(ms){stop();t=setTimeout(go,ms)}
function gone(){on=0;stop()}
if(a&&web){
a.addEventListener('click',function(){on=1;arm(2000)});
d.addEventListener('visibilitychange',function(){if(d.hidden)gone()});
w.addEventListener('pagehide',gone);
w.addEventListener('blur',stop);
w.addEventListener('focus',function(){if(on&&!t)arm(1500)});
if(d.body.hasAttribute('data-auto')){on=1;arm(2000);location.href=a.href}
}
function legacy(s){var x=d.createElement('textarea'),ok=false;x.value=s;x.setAttribute('readonly','');x.className='off';d.body.appendChild(x);x.select();try{x.setSelectionRange(0,s.length);ok=d.execCommand('copy')}catch(e){}d.body.removeChild(x);return ok}
function pick(el){try{var r=d.createRange();r.selectNodeContents(el);var s=w.getSelection();s.removeAllRanges();s.addRange(r)}catch(e){}}
[].forEach.call(d.querySelectorAll('[data-copy]'),function(b){
var box=b.parentNode,st=box.querySelector('.st'),tok=box.querySelector('.tok');
function done(ok){if(st)st.textContent=b.getAttribute(ok?'data-ok':'data-no');if(!ok&&tok)pick(tok);beacon()}
function beacon(){var u=b.getAttribute('data-beacon');if(!u||b.sent)return;b.sent=1;try{if(navigator.sendBeacon&&navigator.sendBeacon(u,''))return}catch(e){}try{var x=new XMLHttpRequest();x.open('POST',u,true);x.send('')}catch(e){}}
b.addEventListener('click',function(){var s=b.getAttribute('data-copy');
if(navigator.clipboard&&w.isSecureContext){navigator.clipboard.writeText(s).then(function(){done(1)},function(){done(legacy(s))})}else done(legacy(s))})
})
})();
