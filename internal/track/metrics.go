package track

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the recorder's Prometheus collectors.
type metrics struct {
	written     prometheus.Counter
	duplicates  prometheus.Counter
	batches     *prometheus.CounterVec // result: written, duplicate, spilled, replayed
	writeErrors prometheus.Counter
	spilled     prometheus.Counter
	dropped     *prometheus.CounterVec // reason: buffer_full, closed, spill_failed, spill_corrupt
	dropFull    prometheus.Counter     // dropped{reason="buffer_full"}, resolved once for Record
	dropClosed  prometheus.Counter
	spillBytes  prometheus.Gauge
	spillEvents prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, depth func() float64) (*metrics, error) {
	m := &metrics{
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hutong_track_events_written_total", Help: "Click events written to the sink (stream or bbolt), replays included."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hutong_track_events_duplicate_total", Help: "Click events in batches the sink had already applied (skipped on replay)."}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hutong_track_batches_total", Help: "Batches by result: written, duplicate, spilled, replayed."}, []string{"result"}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hutong_track_write_errors_total", Help: "Failed batch writes to the sink (the batch is spilled)."}),
		spilled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hutong_track_spill_events_total", Help: "Click events appended to the spill file."}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hutong_track_dropped_total", Help: "Click events lost, by reason: buffer_full, closed, spill_failed, spill_corrupt."}, []string{"reason"}),
		spillBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hutong_track_spill_bytes", Help: "Size of the spill file waiting for replay."}),
		spillEvents: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hutong_track_spill_pending_events", Help: "Click events in the spill file waiting for replay."}),
	}
	for _, r := range []string{"buffer_full", "closed", "spill_failed", "spill_corrupt"} {
		m.dropped.WithLabelValues(r)
	}
	m.dropFull = m.dropped.WithLabelValues("buffer_full")
	m.dropClosed = m.dropped.WithLabelValues("closed")
	if reg == nil {
		return m, nil
	}
	cs := []prometheus.Collector{m.written, m.duplicates, m.batches, m.writeErrors, m.spilled, m.dropped, m.spillBytes, m.spillEvents,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hutong_track_buffer_depth", Help: "Click events waiting in the in-memory buffer."}, depth)}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, errors.New("track: metrics already registered: use one Recorder per Registerer")
			}
			return nil, err
		}
	}
	return m, nil
}
