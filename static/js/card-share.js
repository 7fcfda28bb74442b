// The greeting card page: one tap shares the card image (Web Share API with files, where
// the phone's browser has it), else downloads it; then offers to mark the touch done.
(function () {
  "use strict";
  var button = document.getElementById("card-share");
  if (!button) return;
  var done = document.getElementById("card-done");
  function offerDone() {
    if (done) done.hidden = false;
  }
  function download(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
  }
  // Fetched on load, so the tap itself shares at once (a share must follow the tap
  // without waiting on the network, or the browser refuses it).
  var cardBlob = null;
  var ready = fetch(button.dataset.cardUrl, { credentials: "same-origin" })
    .then(function (r) {
      if (!r.ok) throw new Error("card " + r.status);
      return r.blob();
    })
    .then(function (blob) { cardBlob = blob; return blob; });
  button.addEventListener("click", function () {
    var name = button.dataset.fileName || "card.png";
    function go(blob) {
      var file = new File([blob], name, { type: "image/png" });
      if (navigator.canShare && navigator.canShare({ files: [file] })) {
        navigator.share({ files: [file], text: button.dataset.shareText })
          .then(offerDone)
          .catch(function (err) {
            if (err && err.name === "AbortError") return;
            download(blob, name);
            offerDone();
          });
      } else {
        download(blob, name);
        offerDone();
      }
    }
    if (cardBlob) go(cardBlob);
    else ready.then(go).catch(function () { window.location.href = button.dataset.cardUrl; });
  });
})();
