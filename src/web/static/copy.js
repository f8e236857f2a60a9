/* global document, navigator */
// The copy button of a new PIN: copies the text of the element its data-copy names.
(function () {
  var button = document.getElementById('copy-pin');
  if (!button) return;
  button.addEventListener('click', function () {
    var text = document.getElementById(button.getAttribute('data-copy')).textContent;
    var status = document.getElementById('copy-status');
    if (navigator.clipboard) {
      navigator.clipboard.writeText(text).then(
        function () {
          status.textContent = 'Copied.';
        },
        function () {
          status.textContent = 'Select the PIN and copy it.';
        },
      );
    } else status.textContent = 'Select the PIN and copy it.';
  });
})();
