// CSV import pages: check file count and sizes before uploading, and submit the confirmation once.
(function () {
  "use strict";

  function formatSize(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.ceil(bytes / 1024) + " KB";
  }

  const input = document.querySelector("input[type=file][data-max-file-size]");
  const feedback = document.getElementById("csv-upload-feedback");
  if (input && feedback) {
    input.addEventListener("change", function () {
      const maxFile = Number(input.dataset.maxFileSize);
      const maxFiles = Number(input.dataset.maxFiles);
      const maxTotal = Number(input.dataset.maxTotalSize);
      const files = Array.from(input.files);
      let message = "";
      const big = files.find(function (file) { return file.size > maxFile; });
      const total = files.reduce(function (sum, file) { return sum + file.size; }, 0);
      if (files.length > maxFiles) {
        message = "Choose at most " + maxFiles + " files at a time (you chose " + files.length + ").";
      } else if (big) {
        message = "\u201c" + big.name + "\u201d is " + formatSize(big.size) + "; the limit is " + formatSize(maxFile) + " per file.";
      } else if (total > maxTotal) {
        message = "These files add up to " + formatSize(total) + "; the limit is " + formatSize(maxTotal) + " per upload.";
      }
      input.setCustomValidity(message);
      feedback.textContent = message;
      feedback.classList.toggle("d-none", !message);
    });
  }

  document.querySelectorAll("form.js-submit-once").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    });
  });
})();
