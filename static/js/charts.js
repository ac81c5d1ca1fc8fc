/* Charts of the insights and staff pages, drawn with the vendored Chart.js from JSON the page embeds. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  var text = "#c9cfdb", grid = "rgba(255,255,255,.08)", red = "#e50914", gold = "#ffb400", blue = "#5b8def", teal = "#2ec4b6";
  Chart.defaults.color = text;
  Chart.defaults.borderColor = grid;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;

  function read(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  function bar(canvas, labels, datasets, options) {
    return new Chart(canvas, { type: "bar", data: { labels: labels, datasets: datasets }, options: options || {} });
  }

  var d = read("insights-data");
  if (d) {
    var builders = {
      rating_distribution: function (c) {
        bar(c, d.rating_distribution.labels, [{ label: "Ratings", data: d.rating_distribution.counts, backgroundColor: gold }], { plugins: { legend: { display: false } } });
      },
      ratings_per_user: function (c) {
        bar(c, d.ratings_per_user.labels, [{ label: "Users", data: d.ratings_per_user.users, backgroundColor: blue }], {
          plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: "ratings written" } }, y: { title: { display: true, text: "users" } } },
        });
      },
      titles_per_year: function (c) {
        new Chart(c, { type: "line", data: { labels: d.titles_per_year.labels, datasets: [{ label: "Titles", data: d.titles_per_year.counts, borderColor: red, backgroundColor: "rgba(229,9,20,.25)", fill: true, pointRadius: 0, tension: 0.2 }] }, options: { plugins: { legend: { display: false } }, scales: { x: { ticks: { maxTicksLimit: 12 } } } } });
      },
      titles_per_genre: function (c) {
        bar(c, d.titles_per_genre.labels, [{ label: "Titles", data: d.titles_per_genre.counts, backgroundColor: teal }], { indexAxis: "y", plugins: { legend: { display: false } } });
      },
      kinds_per_platform: function (c) {
        bar(c, d.kinds_per_platform.labels, [
          { label: "Movies", data: d.kinds_per_platform.movies, backgroundColor: red },
          { label: "Series", data: d.kinds_per_platform.series, backgroundColor: gold },
        ], { scales: { x: { stacked: true }, y: { stacked: true } } });
      },
      runtimes: function (c) {
        bar(c, d.runtimes.labels, [{ label: "Titles", data: d.runtimes.counts, backgroundColor: blue }], {
          plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: "minutes" } } },
        });
      },
      imdb_ratings: function (c) {
        bar(c, d.imdb_ratings.labels, [{ label: "Titles", data: d.imdb_ratings.counts, backgroundColor: gold }], {
          plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: "IMDb rating" } } },
        });
      },
      maturity_ratings: function (c) {
        bar(c, d.maturity_ratings.labels, [{ label: "Titles", data: d.maturity_ratings.counts, backgroundColor: teal }], { plugins: { legend: { display: false } } });
      },
      by_month: function (c) {
        bar(c, d.releases_by_month.map(function (m) { return m.name.slice(0, 3); }), [
          { label: "Released", data: d.releases_by_month.map(function (m) { return m.count; }), backgroundColor: blue },
          { label: "Added to a platform", data: d.added_by_month.map(function (m) { return m.count; }), backgroundColor: gold },
        ]);
      },
      by_weekday: function (c) {
        bar(c, d.releases_by_weekday.map(function (m) { return m.name.slice(0, 3); }), [
          { label: "Released", data: d.releases_by_weekday.map(function (m) { return m.count; }), backgroundColor: blue },
          { label: "Added to a platform", data: d.added_by_weekday.map(function (m) { return m.count; }), backgroundColor: gold },
        ]);
      },
    };
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var build = builders[canvas.dataset.chart];
      if (build) build(canvas);
    });
  }

  var m = read("models-data");
  var modelCanvas = document.getElementById("chart-models");
  if (m && modelCanvas) {
    new Chart(modelCanvas, {
      type: "line",
      data: { labels: m.labels, datasets: [
        { label: "RMSE", data: m.rmse, borderColor: red, backgroundColor: red, tension: 0.1 },
        { label: "MAE", data: m.mae, borderColor: gold, backgroundColor: gold, tension: 0.1 },
      ] },
      options: { scales: { x: { ticks: { maxTicksLimit: 8 } } } },
    });
  }
  window.chartsReady = true;
})();
