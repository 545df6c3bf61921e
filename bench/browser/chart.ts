// Draws cowdb's advantage over each peer (log scale, 1 = parity) for run.ts to screenshot.
import { Chart, BarController, BarElement, CategoryScale, LogarithmicScale, Legend, Title, Tooltip } from 'chart.js'

Chart.register(BarController, BarElement, CategoryScale, LogarithmicScale, Legend, Title, Tooltip)

export type Ratios = { title: string; workloads: string[]; peers: Record<string, (number | null)[]> }

const COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1']

/** A dashed line at 1x, where cowdb and the peer are equal. */
const parityLine = {
  id: 'parity',
  afterDatasetsDraw(chart: Chart) {
    const y = chart.scales.y!.getPixelForValue(1)
    const { left, right } = chart.chartArea
    const ctx = chart.ctx
    ctx.save()
    ctx.strokeStyle = '#333'
    ctx.setLineDash([6, 4])
    ctx.beginPath()
    ctx.moveTo(left, y)
    ctx.lineTo(right, y)
    ctx.stroke()
    ctx.restore()
  },
}

function drawChart(r: Ratios): void {
  new Chart(document.getElementById('chart') as HTMLCanvasElement, {
    type: 'bar',
    data: {
      labels: r.workloads,
      datasets: Object.entries(r.peers).map(([peer, data], i) => ({ label: `vs ${peer}`, data, backgroundColor: COLOURS[i % COLOURS.length] })),
    },
    plugins: [parityLine],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { title: { display: true, text: r.title, font: { size: 16 } }, legend: { position: 'top' } },
      scales: {
        y: { type: 'logarithmic', ticks: { callback: (v) => `${+Number(v).toPrecision(3)}x` }, title: { display: true, text: "cowdb's advantage (x; above 1 = cowdb better, log scale)" } },
        x: { ticks: { autoSkip: false, maxRotation: 30, minRotation: 30 } },
      },
    },
  })
  document.body.dataset.drawn = 'yes'
}

Object.assign(window, { drawChart })
document.body.dataset.ready = 'yes'
