// A real OpAMP server for the tests: opamp-go's server package over plain HTTP, with a small
// control API beside it that the tests use to read what each agent reported and to push a
// remote configuration. It behaves as the specification asks a server to: it keeps the
// last value of every field an agent reports (agents omit unchanged ones), asks for the
// full state (ReportFullState) when a sequence number is skipped, and sends the remote
// configuration to each agent until the agent reports its hash.
//
//	opamp_server -opamp 127.0.0.1:PORT -control 127.0.0.1:PORT
//
// Control API (JSON):
//
//	GET  /agents            every agent: description, capabilities, health, effective and
//	                        remote config status, sequence numbers, messages received
//	POST /config            the body becomes the remote configuration (AgentConfigMap entry
//	                        "", content type from the request's Content-Type)
//	POST /report-full-state the next answer to every agent carries ReportFullState
//	POST /refuse?n=N&retry-after=S  the next N messages are refused unread: 503 with
//	                        Retry-After S seconds (a message lost on the way, for the agent)
//	POST /unavailable?retry-after-ms=M  the next answer is a ServerErrorResponse
//	                        (Unavailable, RetryInfo M ms) instead of an answer
//	POST /stall?ms=M        every message is answered M ms late from now on (0: on time)
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/open-telemetry/opamp-go/protobufs"
	"github.com/open-telemetry/opamp-go/server"
	"github.com/open-telemetry/opamp-go/server/types"
)

type value struct {
	String *string  `json:"string,omitempty"`
	Int    *int64   `json:"int,omitempty"`
	Bool   *bool    `json:"bool,omitempty"`
	Double *float64 `json:"double,omitempty"`
}

type agent struct {
	Identifying    map[string]value `json:"identifying"`
	NonIdentifying map[string]value `json:"nonIdentifying"`
	Capabilities   uint64           `json:"capabilities"`
	Healthy        *bool            `json:"healthy"`
	LastError      string           `json:"lastError"`
	HealthStatus   string           `json:"healthStatus"`
	// The effective configuration's files: name → body.
	EffectiveConfig map[string]string `json:"effectiveConfig"`
	RemoteStatus    string            `json:"remoteStatus"`
	RemoteHash      string            `json:"remoteHash"`
	RemoteError     string            `json:"remoteError"`
	SequenceNums    []uint64          `json:"sequenceNums"`
	FullStates      int               `json:"fullStates"`
	Messages        int               `json:"messages"`
	Disconnected    bool              `json:"disconnected"`

	askFullState bool
}

type state struct {
	sync.Mutex
	agents      map[string]*agent
	config      *protobufs.AgentRemoteConfig
	configHash  string
	askAllState bool
	refuse      int
	retryAfter  string
	refused     int
	unavailable uint64 // retry-after nanoseconds of the next error answer; 0: none
	stall       time.Duration
}

func values(attributes []*protobufs.KeyValue) map[string]value {
	out := map[string]value{}
	for _, kv := range attributes {
		var v value
		switch any := kv.GetValue().GetValue().(type) {
		case *protobufs.AnyValue_StringValue:
			v.String = &any.StringValue
		case *protobufs.AnyValue_IntValue:
			v.Int = &any.IntValue
		case *protobufs.AnyValue_BoolValue:
			v.Bool = &any.BoolValue
		case *protobufs.AnyValue_DoubleValue:
			v.Double = &any.DoubleValue
		}
		out[kv.GetKey()] = v
	}
	return out
}

func (s *state) onMessage(_ context.Context, _ types.Connection, message *protobufs.AgentToServer) *protobufs.ServerToAgent {
	s.Lock()
	stall := s.stall
	s.Unlock()
	time.Sleep(stall)
	s.Lock()
	defer s.Unlock()
	uid := hex.EncodeToString(message.GetInstanceUid())
	a, known := s.agents[uid]
	if !known {
		a = &agent{EffectiveConfig: map[string]string{}}
		s.agents[uid] = a
	}
	a.Messages++
	answer := &protobufs.ServerToAgent{InstanceUid: message.GetInstanceUid()}
	// A skipped sequence number (or an agent not seen before that does not start with its
	// description) means the server may have missed state: ask for all of it.
	if len(a.SequenceNums) > 0 && message.GetSequenceNum() != a.SequenceNums[len(a.SequenceNums)-1]+1 {
		a.askFullState = true
	}
	a.SequenceNums = append(a.SequenceNums, message.GetSequenceNum())
	if description := message.GetAgentDescription(); description != nil {
		a.Identifying = values(description.GetIdentifyingAttributes())
		a.NonIdentifying = values(description.GetNonIdentifyingAttributes())
		a.FullStates++
	} else if !known {
		a.askFullState = true
	}
	if message.GetCapabilities() != 0 {
		a.Capabilities = message.GetCapabilities()
	}
	if health := message.GetHealth(); health != nil {
		healthy := health.GetHealthy()
		a.Healthy = &healthy
		a.LastError = health.GetLastError()
		a.HealthStatus = health.GetStatus()
	}
	if effective := message.GetEffectiveConfig(); effective != nil {
		a.EffectiveConfig = map[string]string{}
		for name, file := range effective.GetConfigMap().GetConfigMap() {
			a.EffectiveConfig[name] = string(file.GetBody())
		}
	}
	if status := message.GetRemoteConfigStatus(); status != nil {
		a.RemoteStatus = status.GetStatus().String()
		a.RemoteHash = hex.EncodeToString(status.GetLastRemoteConfigHash())
		a.RemoteError = status.GetErrorMessage()
	}
	if message.GetAgentDisconnect() != nil {
		a.Disconnected = true
	}
	if s.unavailable > 0 {
		answer.ErrorResponse = &protobufs.ServerErrorResponse{
			Type:         protobufs.ServerErrorResponseType_ServerErrorResponseType_Unavailable,
			ErrorMessage: "the server is busy",
			Details: &protobufs.ServerErrorResponse_RetryInfo{
				RetryInfo: &protobufs.RetryInfo{RetryAfterNanoseconds: s.unavailable},
			},
		}
		s.unavailable = 0
		return answer
	}
	if a.askFullState || s.askAllState {
		answer.Flags |= uint64(protobufs.ServerToAgentFlags_ServerToAgentFlags_ReportFullState)
		a.askFullState = false
	}
	if s.config != nil && a.RemoteHash != s.configHash {
		answer.RemoteConfig = s.config
	}
	return answer
}

func main() {
	opampAddress := flag.String("opamp", "127.0.0.1:4320", "where agents connect (path /v1/opamp)")
	controlAddress := flag.String("control", "127.0.0.1:4321", "the control API")
	flag.Parse()
	s := &state{agents: map[string]*agent{}}

	opamp := server.New(nil)
	err := opamp.Start(server.StartSettings{
		Settings: server.Settings{Callbacks: types.Callbacks{
			OnConnecting: func(*http.Request) types.ConnectionResponse {
				s.Lock()
				defer s.Unlock()
				if s.refuse > 0 {
					s.refuse--
					s.refused++
					return types.ConnectionResponse{
						Accept:             false,
						HTTPStatusCode:     http.StatusServiceUnavailable,
						HTTPResponseHeader: map[string]string{"Retry-After": s.retryAfter},
					}
				}
				return types.ConnectionResponse{Accept: true, ConnectionCallbacks: types.ConnectionCallbacks{OnMessage: s.onMessage}}
			},
		}},
		ListenEndpoint: *opampAddress,
		ListenPath:     "/v1/opamp",
		// Pages on another origin may poll it: the preflight their protobuf POST forces
		// is answered, and the answer is readable.
		HTTPMiddleware: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", "*")
				w.Header().Set("Access-Control-Allow-Headers", "content-type, authorization")
				w.Header().Set("Access-Control-Allow-Methods", "POST")
				w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
				if r.Method == http.MethodOptions {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	if err != nil {
		log.Fatalf("opamp server: %v", err)
	}

	control := http.NewServeMux()
	control.HandleFunc("GET /agents", func(w http.ResponseWriter, _ *http.Request) {
		s.Lock()
		defer s.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.agents)
	})
	control.HandleFunc("POST /config", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		hash := sha256.Sum256(body)
		s.Lock()
		s.config = &protobufs.AgentRemoteConfig{
			Config: &protobufs.AgentConfigMap{ConfigMap: map[string]*protobufs.AgentConfigFile{
				"": {Body: body, ContentType: r.Header.Get("Content-Type")},
			}},
			ConfigHash: hash[:],
		}
		s.configHash = hex.EncodeToString(hash[:])
		s.Unlock()
		fmt.Fprintln(w, s.configHash)
	})
	control.HandleFunc("POST /refuse", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.Lock()
		s.refuse = n
		s.retryAfter = r.URL.Query().Get("retry-after")
		s.Unlock()
	})
	control.HandleFunc("POST /unavailable", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.ParseUint(r.URL.Query().Get("retry-after-ms"), 10, 64)
		if err != nil || ms == 0 {
			http.Error(w, "retry-after-ms must be a positive number", http.StatusBadRequest)
			return
		}
		s.Lock()
		s.unavailable = ms * uint64(time.Millisecond)
		s.Unlock()
	})
	control.HandleFunc("POST /stall", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.ParseUint(r.URL.Query().Get("ms"), 10, 64)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.Lock()
		s.stall = time.Duration(ms) * time.Millisecond
		s.Unlock()
	})
	control.HandleFunc("GET /refused", func(w http.ResponseWriter, _ *http.Request) {
		s.Lock()
		defer s.Unlock()
		fmt.Fprintln(w, s.refused)
	})
	control.HandleFunc("POST /report-full-state", func(w http.ResponseWriter, _ *http.Request) {
		s.Lock()
		for _, a := range s.agents {
			a.askFullState = true
		}
		s.Unlock()
	})
	fmt.Fprintln(os.Stdout, "listening")
	log.Fatal(http.ListenAndServe(*controlAddress, control))
}
