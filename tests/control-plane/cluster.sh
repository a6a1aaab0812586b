#!/usr/bin/env bash
# A real Kubernetes control plane on loopback, from the binaries build.sh caches: etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler and kwok (fake nodes whose pods become
# Running and Ready, so Deployments roll out for real).
#
#   cluster.sh start DIR          start everything; state, logs and pid files live in DIR
#   cluster.sh stop DIR           stop everything started in DIR; wait until its ports are free
#   cluster.sh restart DIR NAME   stop and start one component (e.g. kube-apiserver), same port
#   cluster.sh seed DIR           the seed's helm commands, run from environments/
#   cluster.sh reap ROOT          stop every cluster under ROOT (what a killed test left behind)
#                                 and remove their directories
#
# After start, DIR/kubeconfig has one context per kube context of environments/pipeline*.yaml
# (as alice-approver, like the simulator's kubeconfig), `<context>@<login>` for each person, and
# `admin`. People (static tokens): alice-approver (approver: may change every environment),
# dave-developer (developer: reads everything, changes dev and staging), vera-viewer (viewer:
# reads everything but Secrets) — the simulator's roles.
# Ports are free ones picked at start; DIR/env holds them (source it for KUBECONFIG and friends).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# Order of start; stop goes the other way.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
PEOPLE=(alice-approver dave-developer vera-viewer)

die() { echo "cluster.sh: $*" >&2; exit 1; }

kubectl_bin() {
  if [ -n "${SLUICE_KUBECTL:-}" ]; then echo "$SLUICE_KUBECTL"
  elif [ -x /usr/lib/google-cloud-sdk/bin/kubectl.1.33 ]; then echo /usr/lib/google-cloud-sdk/bin/kubectl.1.33
  elif command -v kubectl >/dev/null; then command -v kubectl
  else die "kubectl is missing (set SLUICE_KUBECTL)"; fi
}

binary() {
  local p
  p=$(bash "$HERE/build.sh" --path "$1")
  [ -x "$p" ] || die "component $1 is not built ($p missing): run tests/control-plane/build.sh"
  echo "$p"
}

# A port nobody listens on. Picked at random in a range clear of the ephemeral ports, and checked.
free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! grep -qx "$p" "$DIR/ports" 2>/dev/null; then
      echo "$p" >> "$DIR/ports"
      echo "$p"
      return
    fi
  done
  die "no free port found"
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Starts a component from its launcher DIR/run/NAME.sh, logging to DIR/logs/NAME.log.
launch() {
  local name=$1
  # The child has its own stdin/stdout/stderr: a caller reading our output never waits on it.
  bash "$DIR/run/$name.sh" </dev/null >>"$DIR/logs/$name.log" 2>&1 &
  echo $! > "$DIR/pids/$name.pid"
}

# The pid recorded for NAME, if that process still runs this cluster's binary (never another's).
our_pid() {
  local pidfile="$DIR/pids/$1.pid" pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  alive "$pid" && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$DIR" && echo "$pid"
}

# SIGTERM to the named components at once, then wait for each; SIGKILL after $GRACE s (10).
stop_components() {
  local name pid i pids=()
  for name in "$@"; do
    if pid=$(our_pid "$name"); then kill -TERM "$pid" 2>/dev/null || true; pids+=("$name:$pid"); fi
  done
  for entry in "${pids[@]}"; do
    name=${entry%%:*}; pid=${entry#*:}
    for i in $(seq 1 $((${GRACE:-10} * 10))); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      echo "cluster.sh: $name ($pid) still running ${GRACE:-10} s after SIGTERM; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      for i in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
    fi
  done
  for name in "$@"; do rm -f "$DIR/pids/$name.pid"; done
}

wait_port_free() {
  local port=$1 i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# Waits until `check` succeeds, or fails naming the component and showing its log's tail.
wait_for() {
  local name=$1 seconds=$2 i
  shift 2
  for i in $(seq 1 $((seconds * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! alive "$(cat "$DIR/pids/$name.pid" 2>/dev/null)"; then
      tail -n 30 "$DIR/logs/$name.log" >&2
      die "$name exited during start (log: $DIR/logs/$name.log)"
    fi
    sleep 0.2
  done
  tail -n 30 "$DIR/logs/$name.log" >&2
  die "$name not ready after $seconds s (log: $DIR/logs/$name.log)"
}

kc() { "$KUBECTL" --kubeconfig "$DIR/kubeconfig" --context admin "$@"; }

pki() {
  local p=$DIR/pki
  mkdir -p "$p"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=sluice-test-ca" -keyout "$p/ca.key" -out "$p/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=kube-apiserver" -keyout "$p/apiserver.key" -out "$p/apiserver.csr" 2>/dev/null
  cat > "$p/apiserver.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
  openssl x509 -req -in "$p/apiserver.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial \
    -days 30 -extfile "$p/apiserver.ext" -out "$p/apiserver.crt" 2>/dev/null
  # Service-account token signing.
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$p/sa.key" 2>/dev/null
  openssl pkey -in "$p/sa.key" -pubout -out "$p/sa.pub" 2>/dev/null
}

token() { openssl rand -hex 16; }

# Static tokens: token,user,uid,"groups". Components and the admin are cluster admins.
tokens() {
  : > "$DIR/tokens.csv"
  chmod 600 "$DIR/tokens.csv"
  local who
  for who in admin system:kube-controller-manager system:kube-scheduler kwok; do
    echo "$(token),$who,$who,\"system:masters\"" >> "$DIR/tokens.csv"
  done
  for who in "${PEOPLE[@]}"; do
    echo "$(token),$who,$who" >> "$DIR/tokens.csv"
  done
}

token_of() { awk -F, -v u="$1" '$2 == u {print $1}' "$DIR/tokens.csv"; }

# The pipelines' kube contexts, in file order, each once.
pipeline_contexts() {
  if [ -n "${SLUICE_CONTEXTS:-}" ]; then tr ', ' '\n\n' <<<"$SLUICE_CONTEXTS" | grep -v '^$'; return; fi
  sed -n 's/^\s*kubeContext:\s*\([^ #]*\).*/\1/p' "$REPO/environments/pipeline.yaml" "$REPO"/environments/pipeline.*.yaml 2>/dev/null \
    | awk '!seen[$0]++'
}

kubeconfigs() {
  local server="https://127.0.0.1:$APISERVER_PORT" ca
  ca=$(base64 -w0 < "$DIR/pki/ca.crt")
  local users=(admin system:kube-controller-manager system:kube-scheduler kwok "${PEOPLE[@]}")
  local contexts
  mapfile -t contexts < <(pipeline_contexts)
  [ ${#contexts[@]} -gt 0 ] || die "no kubeContext found in environments/pipeline*.yaml"
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "preferences: {}"
    echo "clusters:"
    echo "- name: sluice-control-plane"
    echo "  cluster:"
    echo "    server: $server"
    echo "    certificate-authority-data: $ca"
    echo "users:"
    for u in admin "${PEOPLE[@]}"; do
      echo "- name: $u"
      echo "  user:"
      echo "    token: $(token_of "$u")"
    done
    echo "contexts:"
    echo "- name: admin"
    echo "  context: {cluster: sluice-control-plane, user: admin}"
    for c in "${contexts[@]}"; do
      echo "- name: $c"
      echo "  context: {cluster: sluice-control-plane, user: alice-approver}"
      for u in "${PEOPLE[@]}"; do
        echo "- name: $c@$u"
        echo "  context: {cluster: sluice-control-plane, user: $u}"
      done
    done
    echo "current-context: ${contexts[0]}"
  } > "$DIR/kubeconfig"
  chmod 600 "$DIR/kubeconfig"
  for u in "${users[@]}"; do
    local file="$DIR/${u#system:}.kubeconfig"
    cat > "$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "$server", certificate-authority-data: $ca}
users:
- name: $u
  user: {token: $(token_of "$u")}
contexts:
- name: local
  context: {cluster: local, user: $u}
current-context: local
EOF
    chmod 600 "$file"
  done
}

launchers() {
  local r=$DIR/run
  mkdir -p "$r"
  cat > "$r/etcd.sh" <<EOF
exec "$(binary etcd)" --name default --data-dir "$DIR/etcd" \\
  --listen-client-urls http://127.0.0.1:$ETCD_PORT --advertise-client-urls http://127.0.0.1:$ETCD_PORT \\
  --listen-peer-urls http://127.0.0.1:$ETCD_PEER_PORT --initial-advertise-peer-urls http://127.0.0.1:$ETCD_PEER_PORT \\
  --initial-cluster default=http://127.0.0.1:$ETCD_PEER_PORT --unsafe-no-fsync --log-level warn
EOF
  cat > "$r/kube-apiserver.sh" <<EOF
exec "$(binary kube-apiserver)" --etcd-servers http://127.0.0.1:$ETCD_PORT \\
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port $APISERVER_PORT \\
  --cert-dir "$DIR/pki" --tls-cert-file "$DIR/pki/apiserver.crt" --tls-private-key-file "$DIR/pki/apiserver.key" \\
  --client-ca-file "$DIR/pki/ca.crt" --token-auth-file "$DIR/tokens.csv" \\
  --authorization-mode Node,RBAC --allow-privileged \\
  --service-cluster-ip-range 10.0.0.0/24 --endpoint-reconciler-type none \\
  --service-account-issuer https://kubernetes.default.svc.cluster.local \\
  --service-account-key-file "$DIR/pki/sa.pub" --service-account-signing-key-file "$DIR/pki/sa.key"
EOF
  cat > "$r/kube-controller-manager.sh" <<EOF
exec "$(binary kube-controller-manager)" --kubeconfig "$DIR/kube-controller-manager.kubeconfig" \\
  --bind-address 127.0.0.1 --secure-port $CM_PORT --leader-elect=false \\
  --service-account-private-key-file "$DIR/pki/sa.key" --root-ca-file "$DIR/pki/ca.crt" \\
  --cluster-signing-cert-file "$DIR/pki/ca.crt" --cluster-signing-key-file "$DIR/pki/ca.key" \\
  --cert-dir "$DIR/pki/cm"
EOF
  cat > "$r/kube-scheduler.sh" <<EOF
exec "$(binary kube-scheduler)" --kubeconfig "$DIR/kube-scheduler.kubeconfig" \\
  --bind-address 127.0.0.1 --secure-port $SCHEDULER_PORT --leader-elect=false
EOF
  local kwok
  kwok=$(binary kwok)
  crash_stage > "$r/crash-stage.yaml"
  cat > "$r/kwok.sh" <<EOF
exec "$kwok" --kubeconfig "$DIR/kwok.kubeconfig" --config "${kwok%/*}/stages.yaml" --config "$r/crash-stage.yaml" \\
  --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \\
  --cidr 10.0.1.0/24 --node-ip 10.0.0.2 --server-address 127.0.0.1:$KWOK_PORT
EOF
}

# A bad release, as the simulator's broken images (KubeWorld::break_image): a pod with an image
# whose name has `-crashloop` in it (a tag ending so, or a registry such as
# `ghcr.io/tbyte-org-crashloop`) starts and keeps crashing (CrashLoopBackOff, never Ready) instead
# of becoming Ready. Its weight makes kwok pick it over pod-ready, which matches such pods too.
crash_stage() {
  cat <<'EOF'
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-crash-loop
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Pending'
    - key: '.spec.containers.[].image | contains("-crashloop")'
      operator: 'In'
      values:
      - 'true'
  weight: 1
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        reason: ContainersNotReady
        type: Ready
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        reason: ContainersNotReady
        type: ContainersReady
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: PodScheduled
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        started: false
        restartCount: 1
        lastState:
          terminated:
            exitCode: 1
            reason: Error
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
        state:
          waiting:
            reason: CrashLoopBackOff
            message: back-off 10s restarting failed container
      {{ end }}
      {{ with NodeIPWith .spec.nodeName }}
      hostIP: {{ . | Quote }}
      {{ end }}
      {{ with PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
      podIP: {{ . | Quote }}
      {{ end }}
      phase: Running
      startTime: {{ $now | Quote }}
EOF
}

# RBAC matching the simulator's roles (src-tauri/crates/sim/src/kube/auth.rs).
rbac() {
  kc apply -f - >/dev/null <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: release-approvers}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice-approver}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: sluice:read-all}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: developers-read}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: sluice:read-all}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: dave-developer}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: sluice:developer}
rules:
- apiGroups: [""]
  resources: [pods, configmaps, secrets, events]
  verbs: ["*"]
- apiGroups: [apps]
  resources: [deployments, deployments/scale, replicasets, replicasets/scale]
  verbs: ["*"]
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: ["*"]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: ["*"]
---
# Like the built-in `view` role in spirit: every kind the console reads, never Secrets (they hold
# Helm's release data). RBAC has no deny, so the readable kinds are listed.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: sluice:viewer}
rules:
- apiGroups: [""]
  resources: [namespaces, nodes, pods, pods/log, pods/status, events, configmaps, services, endpoints,
              serviceaccounts, persistentvolumeclaims, persistentvolumes, replicationcontrollers,
              resourcequotas, limitranges]
  verbs: [get, list, watch]
- apiGroups: [apps, batch, autoscaling, policy, networking.k8s.io, coordination.k8s.io,
              events.k8s.io, discovery.k8s.io]
  resources: ["*"]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: viewers}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: sluice:viewer}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: vera-viewer}]
EOF
  local ns
  for ns in dev staging; do
    kc apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: developers, namespace: $ns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: sluice:developer}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: dave-developer}]
EOF
  done
}

fake_node() {
  kc apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {type: kwok, kubernetes.io/hostname: kwok-node-0, kubernetes.io/os: linux, kubernetes.io/arch: amd64}
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
  nodeInfo: {kubeletVersion: fake, kubeProxyVersion: fake, operatingSystem: linux, architecture: amd64}
EOF
}

node_ready() {
  [ "$(kc get node kwok-node-0 -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

default_sa() { kc -n "$1" get serviceaccount default; }

start() {
  [ -e "$DIR/pids" ] && [ -n "$(ls -A "$DIR/pids" 2>/dev/null)" ] && die "$DIR already has a running cluster (stop it first)"
  mkdir -p "$DIR/pids" "$DIR/logs"
  : > "$DIR/ports"
  KUBECTL=$(kubectl_bin)
  command -v openssl >/dev/null || die "openssl is missing"
  # Whatever fails from here on, nothing is left running.
  STARTED=0
  trap '[ "$STARTED" = 1 ] || { echo "cluster.sh: start failed; stopping what was started" >&2; stop; }' EXIT
  ETCD_PORT=$(free_port); ETCD_PEER_PORT=$(free_port); APISERVER_PORT=$(free_port)
  CM_PORT=$(free_port); SCHEDULER_PORT=$(free_port); KWOK_PORT=$(free_port)
  cat > "$DIR/env" <<EOF
export KUBECONFIG="$DIR/kubeconfig"
export SLUICE_CONTROL_PLANE="$DIR"
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
APISERVER_PORT=$APISERVER_PORT
CM_PORT=$CM_PORT
SCHEDULER_PORT=$SCHEDULER_PORT
KWOK_PORT=$KWOK_PORT
EOF
  pki
  tokens
  kubeconfigs
  launchers
  local t0=$SECONDS
  launch etcd
  wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"
  launch kube-apiserver
  wait_for kube-apiserver 90 kc get --raw /readyz
  launch kube-controller-manager
  launch kube-scheduler
  wait_for kube-controller-manager 60 curl -fsSk "https://127.0.0.1:$CM_PORT/healthz"
  wait_for kube-scheduler 60 curl -fsSk "https://127.0.0.1:$SCHEDULER_PORT/healthz"
  # The seed's Option 1: one cluster, a namespace per environment.
  kc create namespace dev >/dev/null
  kc create namespace staging >/dev/null
  kc create namespace production >/dev/null
  rbac
  launch kwok
  fake_node
  wait_for kwok 60 node_ready
  for ns in dev staging production; do wait_for kube-controller-manager 60 default_sa "$ns"; done
  STARTED=1
  echo "control plane up in $((SECONDS - t0)) s: https://127.0.0.1:$APISERVER_PORT (KUBECONFIG=$DIR/kubeconfig)"
}

stop() {
  local i status=0
  local reversed=()
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do reversed+=("${COMPONENTS[$i]}"); done
  stop_components "${reversed[@]}"
  if [ -f "$DIR/ports" ]; then
    local port
    for port in $(cat "$DIR/ports"); do
      wait_port_free "$port" || { echo "cluster.sh: port $port still in use" >&2; status=1; }
    done
  fi
  return $status
}

restart() {
  local name=$1
  # shellcheck disable=SC1091
  source "$DIR/env"
  # A lone apiserver drains its clients' watches slowly on SIGTERM; after 3 s it is killed,
  # which is what a crashed or evicted apiserver looks like to its clients anyway.
  GRACE=3 stop_components "$name"
  case $name in
    kube-apiserver) wait_port_free "$APISERVER_PORT" || die "apiserver port $APISERVER_PORT still in use" ;;
    etcd) wait_port_free "$ETCD_PORT" || die "etcd port $ETCD_PORT still in use" ;;
  esac
  launch "$name"
  KUBECTL=$(kubectl_bin)
  case $name in
    kube-apiserver) wait_for kube-apiserver 90 kc get --raw /readyz ;;
    etcd) wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health" ;;
  esac
}

# The seed's deployment commands, exactly, from environments/ (docs: environment promotion strategy).
seed() {
  local helm
  helm=$(binary helm)
  export KUBECONFIG="$DIR/kubeconfig"
  export HELM_CACHE_HOME="$DIR/helm/cache" HELM_CONFIG_HOME="$DIR/helm/config" HELM_DATA_HOME="$DIR/helm/data"
  cd "$REPO/environments"
  "$helm" upgrade --install tbyte-dev ./apps/tbyte-microservices \
    -f values-dev.yaml -n dev
  "$helm" upgrade --install tbyte-staging ./apps/tbyte-microservices \
    -f values-staging.yaml -n staging
  "$helm" upgrade --install tbyte-prod ./apps/tbyte-microservices \
    -f values-prod.yaml -n production
}

cmd=${1:-}
case $cmd in
  start|stop|seed|restart)
    [ -n "${2:-}" ] || die "usage: cluster.sh $cmd DIR"
    mkdir -p "$2"
    DIR=$(cd "$2" && pwd)
    case $cmd in
      start) start ;;
      stop) stop ;;
      seed) seed ;;
      restart) [ -n "${3:-}" ] || die "usage: cluster.sh restart DIR COMPONENT"; restart "$3" ;;
    esac
    ;;
  reap)
    [ -n "${2:-}" ] || die "usage: cluster.sh reap ROOT"
    [ -d "$2" ] || exit 0
    for d in "$2"/*/; do
      [ -d "$d/pids" ] || continue
      DIR=$(cd "$d" && pwd)
      if [ -n "$(ls -A "$DIR/pids")" ]; then
        echo "cluster.sh: stopping a cluster left running in $DIR" >&2
        stop || { echo "cluster.sh: keeping $DIR (see its logs/)" >&2; continue; }
      fi
      rm -rf "$DIR"
    done
    ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
