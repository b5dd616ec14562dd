// Checks the sampling decisions in tests/vectors/sampling.json against the OpenTelemetry
// Collector's own implementation of consistent probability sampling (contrib's
// pkg/sampling, the code the probabilistic_sampler processor runs): the rejection
// threshold for each ratio, and whether each trace id's randomness reaches it.
//
// Usage: sampling_reference <path to sampling.json>. Prints one line per case that
// disagrees and exits 1; prints how many agreed otherwise.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

type vectors struct {
	Cases []struct {
		TraceID   string  `json:"traceId"`
		Ratio     float64 `json:"ratio"`
		Threshold string  `json:"threshold"`
		Sampled   bool    `json:"sampled"`
		Why       string  `json:"why"`
	} `json:"cases"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: sampling_reference <sampling.json>")
		os.Exit(2)
	}
	text, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var file vectors
	if err := json.Unmarshal(text, &file); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	agreed, outside, disagreed := 0, 0, 0
	for _, c := range file.Cases {
		// pkg/sampling refuses probabilities below 2^-56: ratio 0 samples nothing.
		if c.Ratio < sampling.MinSamplingProbability {
			outside++
			continue
		}
		threshold, err := sampling.ProbabilityToThreshold(c.Ratio)
		if err != nil {
			fmt.Printf("%s ratio %v: %v\n", c.TraceID, c.Ratio, err)
			disagreed++
			continue
		}
		bytes, err := hex.DecodeString(c.TraceID)
		if err != nil || len(bytes) != 16 {
			fmt.Printf("%s: not a trace id\n", c.TraceID)
			disagreed++
			continue
		}
		var id pcommon.TraceID
		copy(id[:], bytes)
		sampled := threshold.ShouldSample(sampling.TraceIDToRandomness(id))
		ours := fmt.Sprintf("%014x", threshold.Unsigned())
		if sampled != c.Sampled || ours != c.Threshold {
			fmt.Printf("%s ratio %v (%s): pkg/sampling threshold %s sampled %v; the vectors say %s and %v\n",
				c.TraceID, c.Ratio, c.Why, ours, sampled, c.Threshold, c.Sampled)
			disagreed++
			continue
		}
		agreed++
	}
	if disagreed > 0 {
		os.Exit(1)
	}
	fmt.Printf("pkg/sampling agrees on all %d cases (%d outside its range of ratios)\n", agreed, outside)
}
