// SPDX-License-Identifier: Apache-2.0
#include "tap/workload_session.h"

#include "capture/capture_filter_compiler.h"
#include "capture/capture_tools.h"
#include "common/text_escape.h"
#include "kube/api_error.h"
#include "kube/kube_client.h"
#include "kube/list_watch.h"
#include "receive/local_capture.h"
#include "tap/local_receiver.h"
#include "tap/preflight_fix.h"
#include "tap/session_id.h"
#include "tap/tap_planner.h"
#include "tap/tap_preflight.h"
#include "tap/target_resolution.h"

#include <QHostAddress>
#include <QJsonArray>
#include <QProcess>
#include <QRandomGenerator>
#include <QUrlQuery>

#include <algorithm>

namespace podtap {
namespace {

using kube::ApiError;
using kube::KubeClient;
using kube::KubeReply;

QString podsPath(const QString &ns, const QString &name = {})
{
    return KubeClient::corePath(QStringLiteral("pods"), ns, name);
}

QString metadataField(const QJsonObject &object, const char *field)
{
    return object.value(QLatin1String("metadata")).toObject().value(QLatin1String(field)).toString();
}

QHash<QString, QString> labelsOf(const QJsonObject &pod)
{
    QHash<QString, QString> labels;
    const QJsonObject object =
        pod.value(QLatin1String("metadata")).toObject().value(QLatin1String("labels")).toObject();
    for (auto it = object.begin(); it != object.end(); ++it) {
        labels.insert(it.key(), it.value().toString());
    }
    return labels;
}

// Waiting reasons of an agent container that do not resolve by themselves.
constexpr const char *kStuckReasons[] = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CrashLoopBackOff",
    "CreateContainerConfigError", "CreateContainerError", "RunContainerError"};

constexpr int kStoppedWaitMs = 5000;
constexpr int kMaxLogReopens = 5;
// Tries of a pod whose container the agent did not find (a container reported running before its process is in
// its cgroup), and how long to wait for the agent to drop the line before putting it back anyway.
// The n-th try waits n * kRetryStepMs after the failure, so a container that takes seconds to start is found.
constexpr int kTargetRetries = 5;
constexpr int kRetryStepMs = 1000;
constexpr int kReAddFallbackMs = 4000;

/// "1 pod", "3 pods".
QString podCount(qsizetype count)
{
    return count == 1 ? QStringLiteral("1 pod") : QStringLiteral("%1 pods").arg(count);
}

QString megabits(double bitsPerSecond)
{
    return QString::number(bitsPerSecond / 1e6, 'f', bitsPerSecond < 10e6 ? 1 : 0);
}

} // namespace

ValidationProblems WorkloadTapRequest::validate() const
{
    ValidationProblems problems;
    const auto problem = [&](const QString &field, const QString &value, const QString &rule) {
        problems += ValidationProblem {field, quoteForMessage(value), rule};
    };
    if (pods.isEmpty()) {
        if (target.kind == cluster::WorkloadTarget::Kind::Pod) {
            problem(QStringLiteral("target"), target.name,
                QStringLiteral("a workload tap follows a label selector or a workload (deploy/NAME, sts/NAME, "
                               "ds/NAME, rs/NAME, job/NAME); name single pods in the pod list instead"));
        } else if (target.kind == cluster::WorkloadTarget::Kind::Selector && target.selector.isEmpty()) {
            problem(QStringLiteral("label selector"), QString(),
                QStringLiteral("must not be empty: it would tap every pod in the namespace; give one such as "
                               "app=cart"));
        } else if (target.kind != cluster::WorkloadTarget::Kind::Selector && !isDnsSubdomain(target.name)) {
            problem(QStringLiteral("workload"), target.name, QStringLiteral("must be a valid object name"));
        }
        problems += validateDnsLabel(QStringLiteral("namespace"), target.namespaceName);
    } else {
        QSet<QString> seen;
        for (const QString &pod : pods) {
            const QStringList parts = pod.split(QLatin1Char('/'));
            if (parts.size() != 2 || !isDnsLabel(parts[0]) || !isDnsSubdomain(parts[1])) {
                problem(QStringLiteral("pod"), pod,
                    QStringLiteral("must be NAMESPACE/NAME with a valid namespace and pod name"));
            } else if (seen.contains(pod)) {
                problem(QStringLiteral("pod"), pod, QStringLiteral("is named twice; name each pod once"));
            }
            seen.insert(pod);
        }
    }
    // The settings every tap shares are checked by TapRequest's own rules (with a valid stand-in target).
    TapRequest common;
    common.targetNamespace = QStringLiteral("default");
    common.pod = QStringLiteral("pod");
    common.interfaceName = interfaceName;
    common.direction = direction;
    common.port = port;
    common.captureFilter = captureFilter;
    common.maxDuration = maxDuration;
    common.agentNamespace = agentNamespace;
    common.agentImage = agentImage;
    problems += common.validate();
    if (destination.kind != Destination::Kind::ThisMachine) {
        problem(QStringLiteral("destination"), destination.toString(),
            QStringLiteral("a tap of many pods goes to this machine only (--to local): its userspace receiver writes "
                           "one capture with an interface per pod. Tap one pod at a time to send it to a kernel "
                           "interface, a node, an IP or through the API server"));
    }
    if (maxPods < 1 || maxPods > kMaxMaxPods) {
        problem(QStringLiteral("maximum pods"), QString::number(maxPods),
            QStringLiteral("must be between 1 and %1 (one agent takes at most %1 pods)").arg(kMaxMaxPods));
    }
    if (bandwidthWarningBitsPerSecond < 0) {
        problem(QStringLiteral("bandwidth warning"), QString::number(bandwidthWarningBitsPerSecond),
            QStringLiteral("must be a rate in bit/s, or 0 for no warning"));
    }
    return problems;
}

QString WorkloadTapRequest::subjectText() const
{
    if (pods.isEmpty() && target.kind != cluster::WorkloadTarget::Kind::Selector) {
        return QStringLiteral("the pods of %1").arg(target.describe());
    }
    return describe();
}

QString WorkloadTapRequest::describe() const
{
    if (!pods.isEmpty()) {
        return pods.size() == 1 ? QStringLiteral("pod %1").arg(pods.first())
                                : QStringLiteral("%1 pods: %2").arg(pods.size()).arg(pods.join(QStringLiteral(", ")));
    }
    return target.describe();
}

QString workloadMemberStateName(WorkloadMember::State state)
{
    switch (state) {
    case WorkloadMember::State::Waiting:
        return QStringLiteral("Waiting");
    case WorkloadMember::State::Starting:
        return QStringLiteral("Starting");
    case WorkloadMember::State::Tapped:
        return QStringLiteral("Tapped");
    case WorkloadMember::State::Gone:
        return QStringLiteral("Gone");
    case WorkloadMember::State::Failed:
        return QStringLiteral("Failed");
    case WorkloadMember::State::Skipped:
        return QStringLiteral("Skipped");
    }
    return {};
}

WorkloadTapSession::WorkloadTapSession(
    kube::KubeClient *client, WorkloadTapRequest request, TapSessionOptions options, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_request(std::move(request))
    , m_options(std::move(options))
{
    m_heartbeatTimer.setInterval(m_options.heartbeatIntervalMs);
    connect(&m_heartbeatTimer, &QTimer::timeout, this, &WorkloadTapSession::sendHeartbeat);
    m_durationTimer.setSingleShot(true);
    connect(&m_durationTimer, &QTimer::timeout, this,
        [this] { stop(tr("the maximum duration of %1 s was reached").arg(m_request.maxDuration.count())); });
    m_stepTimer.setSingleShot(true);
    m_stoppedWait.setSingleShot(true);
    m_stoppedWait.setInterval(kStoppedWaitMs);
    connect(&m_stoppedWait, &QTimer::timeout, this, [this] {
        m_stoppedWaitOver = true;
        finishTeardown();
    });
}

WorkloadTapSession::~WorkloadTapSession()
{
    // Agent pods left by a destroyed session stop by their own heartbeat timeout and are swept; the capture goes
    // with this object.
}

QString WorkloadTapSession::stateName(State state)
{
    switch (state) {
    case State::Idle:
        return tr("Idle");
    case State::Validating:
        return tr("Validating");
    case State::Resolving:
        return tr("Resolving");
    case State::Preflight:
        return tr("Checking permissions");
    case State::StartingReceiver:
        return tr("Starting the receiver");
    case State::Starting:
        return tr("Starting the agents");
    case State::Running:
        return tr("Running");
    case State::Stopping:
        return tr("Stopping");
    case State::Stopped:
        return tr("Stopped");
    case State::Failed:
        return tr("Failed");
    }
    return {};
}

QStringList WorkloadTapSession::agentPods() const
{
    QStringList pods;
    for (const NodeAgent &agent : m_nodes) {
        if (agent.created && !agent.ended) {
            pods << agent.podName;
        }
    }
    pods.sort();
    return pods;
}

AgentStats WorkloadTapSession::stats() const
{
    AgentStats total;
    for (const WorkloadMember &member : m_members) {
        total.packets += member.mirroredPackets;
        total.bytes += member.mirroredBytes;
    }
    return total;
}

qint64 WorkloadTapSession::capturedPackets() const
{
    return m_capturedPackets;
}

qint64 WorkloadTapSession::capturedBytes() const
{
    return m_capturedBytes;
}

qint64 WorkloadTapSession::captureDrops() const
{
    return m_captureDrops;
}

qint64 WorkloadTapSession::elapsedMs() const
{
    return m_elapsed.isValid() ? m_elapsed.elapsed() : 0;
}

void WorkloadTapSession::setState(State state, const QString &text)
{
    if (m_state != state) {
        m_state = state;
        Q_EMIT stateChanged(state);
    }
    if (!text.isEmpty()) {
        Q_EMIT progress(text);
    }
}

template<typename Callback>
void WorkloadTapSession::request(kube::KubeReply *reply, Callback callback)
{
    reply->onFinished(this, [this, callback = std::move(callback)](KubeReply *finished) {
        finished->deleteLater();
        if (m_tearingDown) {
            return; // teardown has its own requests; late answers of earlier steps are moot
        }
        callback(finished);
    });
}

void WorkloadTapSession::warn(const QString &text)
{
    m_warnings << text;
    Q_EMIT warningRaised(text);
}

void WorkloadTapSession::fail(const QString &summary, const QString &fix)
{
    if (m_tearingDown || m_state == State::Stopped || m_state == State::Failed) {
        return;
    }
    m_failureSummary = summary;
    m_failureFix = fix;
    m_failedBeforeTeardown = true;
    Q_EMIT failed(summary, fix);
    if (m_state == State::Idle || m_state == State::Validating) {
        setState(State::Failed, tr("Failed: %1").arg(summary));
        Q_EMIT finished();
        return;
    }
    teardown();
}

void WorkloadTapSession::failWithApiError(const QString &operation, const ApiError &error)
{
    const PreflightFix fix =
        explainRefusal(ApiRefusal {error.httpStatus, error.reason, error.message, error.detailsKind, error.detailsName},
            m_request.agentNamespace);
    fail(tr("Could not %1: %2").arg(operation, error.toString()), fix.fix);
}

void WorkloadTapSession::start()
{
    if (m_state != State::Idle) {
        return;
    }
    m_elapsed.start();
    setState(State::Validating, tr("Validating the request"));
    const ValidationProblems problems = m_request.validate();
    if (!problems.isEmpty()) {
        QStringList lines;
        for (const auto &p : problems) {
            lines << p.toString();
        }
        fail(tr("The tap request is not valid:\n%1").arg(lines.join(QLatin1Char('\n'))),
            tr("Correct the fields named above and start again."));
        return;
    }
    m_sessionId = generateSessionId();
    m_plan.sessionId = m_sessionId;
    m_plan.interfaceName = m_request.interfaceName;
    m_plan.direction = m_request.direction;
    m_plan.port = m_request.port;
    m_plan.maxDuration = m_request.maxDuration;
    m_plan.agentNamespace = m_request.agentNamespace;
    m_plan.agentImage = m_request.agentImage;
    m_plan.privileged = m_options.privileged;
    m_plan.heartbeatTimeoutSeconds = m_options.heartbeatTimeoutSeconds;
    if (!m_request.captureFilter.trimmed().isEmpty()) {
        const CompiledFilter compiled = compileCaptureFilter(m_request.captureFilter);
        if (!compiled.ok()) {
            fail(compiled.error, tr("Use tcpdump/Wireshark capture filter syntax, e.g. 'udp port 53'."));
            return;
        }
        m_plan.bpfBytecode = compiled.toArgument();
    }
    resolve();
}

void WorkloadTapSession::resolve()
{
    setState(State::Resolving, tr("Finding %1").arg(m_request.subjectText()));
    if (!m_request.pods.isEmpty()) {
        resolveNamedPods();
        return;
    }
    m_resolver = new cluster::WorkloadResolver(m_client, this);
    m_resolver->setMaxPods(m_request.maxPods);
    connect(
        m_resolver, &cluster::WorkloadResolver::finished, this, [this](const cluster::WorkloadResolution &resolution) {
            m_resolver->deleteLater();
            if (m_state != State::Resolving) {
                return;
            }
            if (!resolution.ok()) {
                // The resolver's message names the object, the reason and the fix (for the limit: --max-pods).
                fail(resolution.error);
                return;
            }
            Q_EMIT progress(
                tr("%1 running (selector %2)").arg(podCount(resolution.running.size()), resolution.selector));
            m_selectorText = resolution.selector;
            QString error;
            m_selector = cluster::LabelSelector::parse(m_selectorText, &error);
            startPodWatches();
        });
    m_resolver->resolve(m_request.target);
}

void WorkloadTapSession::resolveNamedPods()
{
    for (const QString &pod : std::as_const(m_request.pods)) {
        m_named.insert(pod);
    }
    if (m_request.pods.size() > m_request.maxPods) {
        fail(tr("%1 pods were picked, more than the limit of %2 pods per tap.")
                 .arg(m_request.pods.size())
                 .arg(m_request.maxPods),
            tr("Raise the limit (--max-pods %1), or pick fewer pods.").arg(m_request.pods.size()));
        return;
    }
    auto pending = std::make_shared<int>(int(m_request.pods.size()));
    auto running = std::make_shared<int>(0);
    for (const QString &key : std::as_const(m_request.pods)) {
        const QString ns = key.section(QLatin1Char('/'), 0, 0);
        const QString name = key.section(QLatin1Char('/'), 1);
        request(m_client->get(podsPath(ns, name)), [this, key, pending, running](KubeReply *reply) {
            if (m_state != State::Resolving) {
                return;
            }
            if (!reply->ok()) {
                if (reply->error().isNotFound()) {
                    fail(tr("Pod %1 was not found.").arg(key),
                        tr("Check the namespace and the pod name (kubectl get pods -n %1), or leave it out.")
                            .arg(key.section(QLatin1Char('/'), 0, 0)));
                } else {
                    failWithApiError(tr("read pod %1").arg(key), reply->error());
                }
                return;
            }
            QString why;
            if (targetFromPod(reply->json(), &why)) {
                ++*running;
            }
            if (--*pending > 0) {
                return;
            }
            if (*running == 0) {
                fail(tr("None of the %1 picked is running with a container to tap.")
                         .arg(podCount(m_request.pods.size())),
                    tr("Wait until the pods run (kubectl get pods -o wide), or pick running ones."));
                return;
            }
            startPodWatches();
        });
    }
}

void WorkloadTapSession::startPodWatches()
{
    // The watches are the session's view of its pods from here on: their first list gives the pods the tap
    // starts with, their events the pods that come, change and go.
    QStringList namespaces;
    if (m_named.isEmpty()) {
        namespaces << m_request.target.namespaceName;
    } else {
        for (const QString &key : std::as_const(m_request.pods)) {
            const QString ns = key.section(QLatin1Char('/'), 0, 0);
            if (!namespaces.contains(ns)) {
                namespaces << ns;
            }
        }
    }
    Q_EMIT progress(tr("Watching %1").arg(m_request.subjectText()));
    for (const QString &ns : std::as_const(namespaces)) {
        kube::ListOptions options;
        options.labelSelector = m_named.isEmpty() ? m_selectorText : QString();
        auto *watch = new kube::ListWatch(m_client, podsPath(ns), options, this);
        const QString path = watch->collectionPath();
        m_podWatches << watch;
        connect(watch, &kube::ListWatch::relistStarted, this, [this, path] { m_relistSeen[path].clear(); });
        connect(watch, &kube::ListWatch::pageReceived, this, [this, path](const QJsonArray &items) {
            for (const QJsonValue &item : items) {
                const QJsonObject pod = item.toObject();
                m_relistSeen[path].insert(
                    metadataField(pod, "namespace") + QLatin1Char('/') + metadataField(pod, "name"));
                onPodObject(pod, false);
            }
        });
        connect(watch, &kube::ListWatch::relistFinished, this, [this, path, ns] {
            // A pod the new list does not show went while the watch was down.
            const QSet<QString> seen = m_relistSeen.take(path);
            QStringList went;
            for (const WorkloadMember &member : std::as_const(m_members)) {
                if (member.key.section(QLatin1Char('/'), 0, 0) == ns && !seen.contains(member.key) &&
                    member.state != WorkloadMember::State::Gone) {
                    went << member.key;
                }
            }
            for (const QString &key : std::as_const(went)) {
                memberGone(key, tr("deleted"));
            }
            if (!m_initialDone && ++m_watchesSynced == m_podWatches.size()) {
                m_initialDone = true;
                onInitialPods();
            }
        });
        connect(
            watch, &kube::ListWatch::eventReceived, this, [this](kube::WatchEventType type, const QJsonObject &pod) {
                onPodObject(pod, type == kube::WatchEventType::Deleted);
            });
        connect(watch, &kube::ListWatch::errorOccurred, this, [this, ns](const ApiError &error) {
            if (m_state == State::Resolving) {
                failWithApiError(tr("list and watch the pods in namespace %1").arg(ns), error);
                return;
            }
            if (isActive() && m_state != State::Stopping) {
                warn(tr("Following the pods in namespace %1 failed for now (%2); the session retries, and pods that "
                        "come or go meanwhile are applied when it recovers.")
                         .arg(ns, error.toString()));
            }
        });
        watch->start();
    }
}

qsizetype WorkloadTapSession::memberIndex(const QString &key) const
{
    return m_index.value(key, -1);
}

qsizetype WorkloadTapSession::ensureMember(const QString &key)
{
    qsizetype index = memberIndex(key);
    if (index >= 0) {
        return index;
    }
    WorkloadMember member;
    member.key = key;
    member.interfaceName = key + QLatin1Char('/') + m_request.interfaceName;
    m_members << member;
    m_private << MemberPrivate {};
    index = m_members.size() - 1;
    m_index.insert(key, index);
    return index;
}

int WorkloadTapSession::activeCount() const
{
    int count = 0;
    for (qsizetype i = 0; i < m_members.size(); ++i) {
        if (m_private[i].listed && m_members[i].state != WorkloadMember::State::Gone) {
            ++count;
        }
    }
    return count;
}

void WorkloadTapSession::onPodObject(const QJsonObject &pod, bool deleted)
{
    if (m_tearingDown || !isActive()) {
        return;
    }
    const QString key = metadataField(pod, "namespace") + QLatin1Char('/') + metadataField(pod, "name");
    if (!m_named.isEmpty() && !m_named.contains(key)) {
        return;
    }
    if (deleted) {
        memberGone(key, tr("deleted"));
        return;
    }
    if (m_selector && !m_selector->matches(labelsOf(pod))) {
        memberGone(key, tr("no longer matches %1").arg(m_selectorText));
        return;
    }
    const QJsonObject metadata = pod.value(QLatin1String("metadata")).toObject();
    if (metadata.contains(QLatin1String("deletionTimestamp"))) {
        memberGone(key, tr("deleted"));
        return;
    }
    const QString uid = metadata.value(QLatin1String("uid")).toString();
    const QString phase = pod.value(QLatin1String("status")).toObject().value(QLatin1String("phase")).toString();
    if (phase == QLatin1String("Succeeded") || phase == QLatin1String("Failed")) {
        memberGone(key, tr("its containers ended (%1)").arg(phase));
        return;
    }
    QString why;
    const std::optional<ResolvedTarget> target = targetFromPod(pod, &why);
    if (!target) {
        if (pod.value(QLatin1String("spec")).toObject().value(QLatin1String("hostNetwork")).toBool()) {
            const qsizetype index = ensureMember(key);
            if (m_members[index].state != WorkloadMember::State::Failed) {
                memberFailed(index, why);
            }
            return;
        }
        memberWaiting(key, uid, why);
        return;
    }
    memberSeen(key, target->node, target->podIp, uid, target->containerId);
}

void WorkloadTapSession::memberWaiting(const QString &key, const QString &uid, const QString &why)
{
    const qsizetype index = ensureMember(key);
    WorkloadMember &member = m_members[index];
    MemberPrivate &extra = m_private[index];
    if (extra.runnable && extra.uid == uid &&
        (member.state == WorkloadMember::State::Starting || member.state == WorkloadMember::State::Tapped)) {
        // Running before and now without a running container: a restart in progress. The agent reports its
        // target gone if the netns went; the new container ID, when it comes, is tapped again.
        member.detail = why;
        Q_EMIT memberChanged(key);
        return;
    }
    extra.uid = uid;
    extra.runnable = false;
    if (member.state == WorkloadMember::State::Gone && extra.listed) {
        return;
    }
    member.state = WorkloadMember::State::Waiting;
    member.detail = why;
    Q_EMIT memberChanged(key);
}

void WorkloadTapSession::memberSeen(
    const QString &key, const QString &node, const QString &podIp, const QString &uid, const QString &containerId)
{
    const qsizetype index = ensureMember(key);
    WorkloadMember &member = m_members[index];
    MemberPrivate &extra = m_private[index];
    const bool samePod = extra.uid.isEmpty() || extra.uid == uid;
    if (extra.runnable && samePod && extra.containerId == containerId && member.node == node) {
        return; // nothing the tap cares about changed
    }
    if (extra.listed && (!samePod || member.node != node)) {
        // The same name, another pod (re-created, maybe elsewhere): the old line goes, the new pod is tapped anew.
        memberGone(key, tr("replaced"));
    }
    if (extra.listed && extra.containerId != containerId && member.state != WorkloadMember::State::Gone) {
        // A restarted container (a new netns in some runtimes): the changed line makes the agent tap it again.
        Q_EMIT memberEvent(tr("~%1 restarted (container %2): tapping it again").arg(key, containerId.right(12)));
        member.state = WorkloadMember::State::Starting;
        member.detail = tr("tapping the new container");
    } else if (extra.listed && member.state == WorkloadMember::State::Gone) {
        // Its netns went (target-gone) and a new container runs: the changed line retries it.
        Q_EMIT memberEvent(tr("~%1 runs again (container %2): tapping it again").arg(key, containerId.right(12)));
        member.state = WorkloadMember::State::Starting;
        member.detail = tr("tapping the new container");
    } else if (!extra.listed && member.state != WorkloadMember::State::Skipped &&
        member.state != WorkloadMember::State::Failed) {
        member.state = WorkloadMember::State::Waiting;
        member.detail = tr("running, not handed to an agent yet");
    }
    extra.uid = uid;
    extra.containerId = containerId;
    extra.runnable = true;
    member.node = node;
    member.podIp = podIp;
    Q_EMIT memberChanged(key);
    reconcile();
}

void WorkloadTapSession::memberGone(const QString &key, const QString &why)
{
    const qsizetype index = memberIndex(key);
    if (index < 0) {
        return;
    }
    WorkloadMember &member = m_members[index];
    MemberPrivate &extra = m_private[index];
    // Announced once: a pod whose netns went (target-gone) was announced gone then.
    const bool wasTapped = (extra.listed || extra.reAddPending || member.state == WorkloadMember::State::Tapped) &&
        member.state != WorkloadMember::State::Gone;
    extra.runnable = false;
    extra.uid.clear();
    extra.containerId.clear();
    if (member.state == WorkloadMember::State::Gone && !extra.listed) {
        return;
    }
    const bool wasListed = extra.listed;
    extra.listed = false;
    extra.reAddPending = false;
    member.state = WorkloadMember::State::Gone;
    member.detail = why;
    removeCaptureTarget(index);
    Q_EMIT memberChanged(key);
    if (wasTapped) {
        Q_EMIT memberEvent(tr("-%1 gone (%2)").arg(key, why));
    }
    if (wasListed) {
        reconcile();
    }
    if (m_state == State::Starting) {
        checkStarted();
    }
}

void WorkloadTapSession::memberFailed(qsizetype index, const QString &why)
{
    WorkloadMember &member = m_members[index];
    member.state = WorkloadMember::State::Failed;
    member.detail = why;
    Q_EMIT memberChanged(member.key);
    Q_EMIT memberEvent(tr("!%1 failed: %2").arg(member.key, why));
    if (m_state == State::Starting) {
        checkStarted();
    }
}

void WorkloadTapSession::retryLater(qsizetype index, const QString &why)
{
    WorkloadMember &member = m_members[index];
    MemberPrivate &extra = m_private[index];
    ++extra.retries;
    extra.listed = false; // out of the list; its VNIs and its interface stay for the same line
    extra.reAddPending = true;
    member.state = WorkloadMember::State::Starting;
    member.detail = tr("the agent did not find its container yet (%1); trying again").arg(why);
    Q_EMIT memberChanged(member.key);
    Q_EMIT progress(tr("The agent on node %1 did not find the container of %2 yet; trying again (%3 of %4)")
                        .arg(member.node, member.key)
                        .arg(extra.retries)
                        .arg(kTargetRetries));
    extra.reAddDropped = false;
    extra.reAddNotBeforeMs = elapsedMs() + qint64(kRetryStepMs) * extra.retries;
    const int generation = ++extra.reAddGeneration;
    reconcile();
    const QString key = member.key;
    // Should the agent's `targets` answer not come (a lost log line), the line goes back anyway.
    QTimer::singleShot(kReAddFallbackMs + kRetryStepMs * extra.retries, this, [this, key, generation] {
        const qsizetype i = memberIndex(key);
        if (i >= 0 && m_private[i].reAddGeneration == generation) {
            m_private[i].reAddDropped = true;
            maybeReAdd(key);
        }
    });
}

void WorkloadTapSession::maybeReAdd(const QString &key)
{
    const qsizetype index = memberIndex(key);
    if (index < 0 || !m_private[index].reAddPending || !m_private[index].reAddDropped || m_tearingDown) {
        return;
    }
    const qint64 remaining = m_private[index].reAddNotBeforeMs - elapsedMs();
    if (remaining > 0) {
        const int generation = m_private[index].reAddGeneration;
        QTimer::singleShot(int(remaining), this, [this, key, generation] {
            const qsizetype i = memberIndex(key);
            if (i >= 0 && m_private[i].reAddGeneration == generation) {
                maybeReAdd(key);
            }
        });
        return;
    }
    reAdd(key);
}

void WorkloadTapSession::retryWithNewVnis(qsizetype index, const QString &why)
{
    // Another tap took one of its VNIs on the node since the session looked: a new pair makes a new line, which
    // the agent installs.
    WorkloadMember &member = m_members[index];
    MemberPrivate &extra = m_private[index];
    ++extra.retries;
    removeCaptureTarget(index);
    allocateVnis(member);
    addCaptureTarget(index);
    member.state = WorkloadMember::State::Starting;
    member.detail = tr("its VNI was taken on the node (%1); trying new ones").arg(why);
    Q_EMIT memberChanged(member.key);
    Q_EMIT progress(tr("A VNI of %1 is in use on node %2; trying again with VNIs %3/%4")
                        .arg(member.key, member.node)
                        .arg(member.vni)
                        .arg(member.egressVni));
    reconcile();
}

void WorkloadTapSession::reAdd(const QString &key)
{
    const qsizetype index = memberIndex(key);
    if (index < 0 || !m_private[index].reAddPending || m_tearingDown) {
        return;
    }
    m_private[index].reAddPending = false;
    if (!m_private[index].runnable || m_members[index].state != WorkloadMember::State::Starting) {
        return; // it went, or changed meanwhile: the usual rules apply
    }
    m_private[index].listed = true;
    reconcile();
}

void WorkloadTapSession::onInitialPods()
{
    int runnable = 0;
    for (const MemberPrivate &extra : std::as_const(m_private)) {
        runnable += extra.runnable ? 1 : 0;
    }
    if (runnable == 0) {
        fail(tr("None of %1 is running with a container to tap.").arg(m_request.subjectText()),
            tr("Wait until the pods run (kubectl get pods -o wide), then start again."));
        return;
    }
    if (runnable > m_request.maxPods) {
        // The resolver checked the limit a moment ago; pods came since. Above the limit at the start is an error.
        fail(tr("%1 has %2 running pods, more than the limit of %3 pods per tap.")
                 .arg(m_request.describe())
                 .arg(runnable)
                 .arg(m_request.maxPods),
            tr("Tap them all with --max-pods %1, or narrow the target with a label selector (-l).").arg(runnable));
        return;
    }
    lookUpNodes([this] { preflight(); });
}

void WorkloadTapSession::lookUpNodes(const std::function<void()> &next)
{
    QStringList nodes;
    for (qsizetype i = 0; i < m_members.size(); ++i) {
        const QString &node = m_members[i].node;
        if (m_private[i].runnable && !node.isEmpty() && !nodes.contains(node) &&
            m_nodes.value(node).remoteIp.isEmpty()) {
            nodes << node;
        }
    }
    if (nodes.isEmpty()) {
        next();
        return;
    }
    auto pending = std::make_shared<int>(int(nodes.size()));
    for (const QString &node : std::as_const(nodes)) {
        lookUpNode(node, [pending, next] {
            if (--*pending == 0) {
                next();
            }
        });
    }
}

void WorkloadTapSession::lookUpNode(const QString &node, const std::function<void()> &next)
{
    NodeAgent &agent = m_nodes[node];
    agent.node = node;
    agent.podName = nodeAgentPodName(node, m_sessionId);
    m_nodeOfAgentPod.insert(agent.podName, node);
    if (agent.lookingUp) {
        return;
    }
    agent.lookingUp = true;
    Q_EMIT progress(tr("Looking up node %1").arg(node));
    request(
        m_client->get(KubeClient::corePath(QStringLiteral("nodes"), {}, node)), [this, node, next](KubeReply *reply) {
            NodeAgent &agent = m_nodes[node];
            agent.lookingUp = false;
            const bool starting = m_state == State::Resolving || m_state == State::Preflight;
            if (!reply->ok()) {
                if (starting) {
                    failWithApiError(tr("read node %1").arg(node), reply->error());
                } else {
                    warn(tr("Could not read node %1 (%2): its pods are not tapped.")
                             .arg(node, reply->error().toString()));
                }
                return;
            }
            QString error;
            agent.nodeIp = nodeInternalIp(reply->json(), &error);
            if (!agent.nodeIp.isEmpty()) {
                agent.remoteIp =
                    m_options.localIp.isEmpty() ? localAddressToward(agent.nodeIp, &error) : m_options.localIp;
            }
            if (agent.remoteIp.isEmpty()) {
                const QString text = agent.nodeIp.isEmpty()
                    ? tr("Node %1 has no usable address: %2").arg(node, error)
                    : tr("Cannot find this machine's address toward node %1 (%2): %3").arg(node, agent.nodeIp, error);
                if (starting) {
                    fail(text,
                        tr("Check the node's addresses (kubectl get node %1 -o wide) and this machine's routes.")
                            .arg(node));
                } else {
                    warn(text + tr("; its pods are not tapped."));
                }
                return;
            }
            next();
        });
}

void WorkloadTapSession::preflight()
{
    if (m_state != State::Resolving) {
        return;
    }
    setState(State::Preflight, tr("Checking permissions in namespace %1").arg(m_plan.agentNamespace));
    // The same checks as a single-pod tap, with the node agent pod the session is about to create.
    QString node;
    for (qsizetype i = 0; i < m_members.size() && node.isEmpty(); ++i) {
        if (m_private[i].runnable) {
            node = m_members[i].node;
        }
    }
    const QJsonObject pod = nodeAgentPod(planFor(m_nodes.value(node)), node, targetsOn(node));
    m_preflight = new TapPreflight(m_client, m_request.destination, m_plan.agentNamespace, pod, this);
    connect(m_preflight, &TapPreflight::progress, this, &WorkloadTapSession::progress);
    connect(m_preflight, &TapPreflight::warning, this, &WorkloadTapSession::warn);
    connect(m_preflight, &TapPreflight::failed, this, [this](const QString &summary, const QString &fix) {
        if (m_state == State::Preflight) {
            fail(summary, fix);
        }
    });
    connect(m_preflight, &TapPreflight::passed, this, [this] {
        m_preflight->deleteLater();
        if (m_state == State::Preflight) {
            loadUsedVnis();
        }
    });
    m_preflight->start();
}

void WorkloadTapSession::loadUsedVnis()
{
    // VNIs other podtap sessions hold must not be reused: the kernel refuses a second VXLAN device with the same VNI
    // and port on a node. All nodes at once, so a pod that moves to another node keeps a free VNI there too.
    QUrlQuery query;
    query.addQueryItem(
        QStringLiteral("labelSelector"), QStringLiteral("%1=podtap").arg(QLatin1String(kLabelManagedBy)));
    request(m_client->get(podsPath(m_plan.agentNamespace), query), [this](KubeReply *reply) {
        if (m_state != State::Preflight) {
            return;
        }
        if (reply->ok()) {
            m_usedVnis = podtapVnisInUse(reply->json().value(QLatin1String("items")).toArray());
        }
        startCapture();
    });
}

TapPlan WorkloadTapSession::planFor(const NodeAgent &agent) const
{
    TapPlan plan = m_plan;
    plan.targetNode = agent.node;
    plan.targetNodeIp = agent.nodeIp;
    plan.destinationIp = agent.remoteIp;
    plan.heartbeat = m_client->serverNow(); // on the clock sweeps age it by
    return plan;
}

void WorkloadTapSession::allocateVnis(WorkloadMember &member)
{
    const auto pick = [this] {
        std::uint32_t vni = 0;
        do {
            vni = 1 + QRandomGenerator::system()->bounded(TapRequest::kMaxVni);
        } while (m_usedVnis.contains(vni));
        m_usedVnis.insert(vni);
        return vni;
    };
    // A fresh pair for every line: a VNI the agent just tore down may still be held for a moment.
    member.vni = pick();
    // The receiver tells a frame's direction from its VNI: egress comes with the second one.
    member.egressVni = m_request.direction == Direction::Ingress ? 0 : pick();
}

void WorkloadTapSession::addCaptureTarget(qsizetype index)
{
    WorkloadMember &member = m_members[index];
    MemberPrivate &extra = m_private[index];
    if (!m_capture || extra.captureIndex >= 0) {
        return;
    }
    const NodeAgent agent = m_nodes.value(member.node);
    receive::LocalCapture::Target target;
    target.interfaceName = member.interfaceName;
    target.description = tr("pod %1, interface %2 (%3), mirrored from node %4")
                             .arg(member.key, m_request.interfaceName, directionName(m_request.direction), member.node);
    target.sender = QHostAddress(agent.nodeIp);
    target.ingressVni = member.vni;
    target.egressVni = member.egressVni;
    // Before the capture starts the interface is noted; while it runs, its interface block goes out mid-stream.
    QString error;
    extra.captureIndex = m_capture->addTarget(target, &error);
    if (extra.captureIndex < 0) {
        warn(tr("%1 is mirrored, but this machine's receiver cannot take it: %2").arg(member.key, error));
        return;
    }
    if (!member.podIp.isEmpty()) {
        const QStringList parts = member.key.split(QLatin1Char('/'));
        m_capture->addNames({PodAddress {member.podIp, parts.value(0), parts.value(1)}});
    }
}

void WorkloadTapSession::removeCaptureTarget(qsizetype index)
{
    // Its interface stays in the stream with what it captured (a pcapng interface does not end); its routes go, so
    // a later line may take its sender and VNIs.
    MemberPrivate &extra = m_private[index];
    if (m_capture && extra.captureIndex >= 0) {
        const receive::LocalCapture::Counters counters = m_capture->targetCounters(extra.captureIndex);
        m_members[index].capturedPackets = qint64(counters.packets);
        m_members[index].capturedBytes = qint64(counters.bytes);
        m_capture->removeTarget(extra.captureIndex);
    }
    extra.captureIndex = -1;
}

void WorkloadTapSession::startCapture()
{
    setState(State::StartingReceiver, tr("Opening the tunnel port %1/udp on this machine").arg(m_request.port));
    receive::LocalCapture::Options options;
    options.receiver.port = quint16(m_request.port);
    options.tunnel = true;
    m_capture = new receive::LocalCapture(options, this);
    // The pods the tap starts with, up to the limit: their interfaces come first in the stream.
    for (qsizetype i = 0; i < m_members.size(); ++i) {
        if (m_private[i].runnable && m_members[i].state == WorkloadMember::State::Waiting) {
            giveLine(i);
        }
    }
    connect(m_capture, &receive::LocalCapture::countersChanged, this,
        [this](const receive::LocalCapture::Counters &counters) {
            m_capturedPackets = qint64(counters.packets);
            m_capturedBytes = qint64(counters.bytes);
            m_captureDrops = qint64(counters.drops);
            for (qsizetype i = 0; i < m_members.size(); ++i) {
                if (m_private[i].captureIndex < 0) {
                    continue; // a gone member keeps the counts it had when its target went
                }
                const receive::LocalCapture::Counters target = m_capture->targetCounters(m_private[i].captureIndex);
                WorkloadMember &member = m_members[i];
                if (member.capturedPackets != qint64(target.packets) || member.capturedBytes != qint64(target.bytes)) {
                    member.capturedPackets = qint64(target.packets);
                    member.capturedBytes = qint64(target.bytes);
                    Q_EMIT memberChanged(member.key);
                }
            }
            Q_EMIT countersChanged();
            const qint64 limit = m_options.capture.packetCount;
            if (limit > 0 && m_capturedPackets >= limit && m_state == State::Running) {
                stop(tr("%1 packets were captured").arg(m_capturedPackets));
            }
        });
    connect(
        m_capture, &receive::LocalCapture::reachabilityProblem, this, [this](const QString &text, const QString &fix) {
            // No fallback to the stream for a workload tap: say what is wrong and what to do.
            warn(fix.isEmpty() ? text : text + QLatin1Char(' ') + fix);
        });
    connect(m_capture, &receive::LocalCapture::fileSinkFailed, this, [this](const QString &error) { warn(error); });
    connect(m_capture, &receive::LocalCapture::viewerExited, this, [this](int, const QString &reason) {
        if (m_viewer && m_viewer->state() == QProcess::NotRunning && m_state == State::Running) {
            stop(tr("the capture ended (%1)").arg(reason));
        }
    });
    QString error;
    if (!m_options.capture.outputFile.isEmpty() && !m_capture->addFileSink(m_options.capture.outputFile, &error)) {
        fail(error, tr("Choose a file in a directory you can write to."));
        return;
    }
    if (!m_capture->start(&error)) {
        fail(error,
            tr("Another program may hold UDP port %1: choose another port (--port), or stop it.").arg(m_request.port));
        return;
    }
    startAgents();
}

bool WorkloadTapSession::giveLine(qsizetype index)
{
    WorkloadMember &member = m_members[index];
    MemberPrivate &extra = m_private[index];
    if (extra.listed || !extra.runnable) {
        return extra.listed;
    }
    const NodeAgent agent = m_nodes.value(member.node);
    if (agent.remoteIp.isEmpty()) {
        if (!agent.lookingUp) {
            lookUpNode(member.node, [this] { reconcile(); });
        }
        return false;
    }
    if (activeCount() >= m_request.maxPods) {
        if (member.state != WorkloadMember::State::Skipped) {
            member.state = WorkloadMember::State::Skipped;
            member.detail = tr("the limit of %1 pods per tap is reached").arg(m_request.maxPods);
            Q_EMIT memberChanged(member.key);
            Q_EMIT memberEvent(
                tr("!%1 not tapped: the limit of %2 pods is reached").arg(member.key).arg(m_request.maxPods));
        }
        if (!extra.skipWarned) {
            extra.skipWarned = true;
            warn(tr("%1 is not tapped: this tap already has %2 pods, its limit. Start the tap again with a higher "
                    "--max-pods to include it.")
                     .arg(member.key)
                     .arg(m_request.maxPods));
        }
        return false;
    }
    // A new line gets new VNIs: an interface the pod had before (another line) stops receiving, a new one starts.
    removeCaptureTarget(index);
    allocateVnis(member);
    extra.listed = true;
    extra.reAddPending = false;
    member.state = WorkloadMember::State::Starting;
    member.detail = tr("handed to the agent on node %1").arg(member.node);
    addCaptureTarget(index);
    Q_EMIT memberChanged(member.key);
    return true;
}

QList<WorkloadTargetSpec> WorkloadTapSession::targetsOn(const QString &node) const
{
    QList<WorkloadTargetSpec> targets;
    for (qsizetype i = 0; i < m_members.size(); ++i) {
        const WorkloadMember &member = m_members[i];
        if (!m_private[i].listed || member.node != node) {
            continue;
        }
        WorkloadTargetSpec target;
        target.tag = member.key;
        target.containerId = m_private[i].containerId;
        target.vni = member.vni;
        target.egressVni = member.egressVni;
        target.interfaceName = m_request.interfaceName;
        target.direction = m_request.direction;
        targets << target;
    }
    return targets;
}

void WorkloadTapSession::startAgents()
{
    setState(State::Starting, tr("Starting one agent per node"));
    m_stepTimer.disconnect();
    connect(&m_stepTimer, &QTimer::timeout, this, [this] {
        if (m_state != State::Starting) {
            return;
        }
        QStringList waiting;
        for (const WorkloadMember &member : std::as_const(m_members)) {
            if (member.state == WorkloadMember::State::Starting) {
                waiting << member.key + QStringLiteral(" (") + member.node + QLatin1Char(')');
            }
        }
        fail(tr("The agents did not report these pods ready within %1 s: %2")
                 .arg((m_options.podStartTimeoutMs + m_options.agentReadyTimeoutMs) / 1000)
                 .arg(waiting.join(QStringLiteral(", "))),
            tr("Read the agents' logs: kubectl logs -n %1 -l %2=%3")
                .arg(m_plan.agentNamespace, QLatin1String(kLabelSession), m_sessionId));
    });
    m_stepTimer.start(m_options.podStartTimeoutMs + m_options.agentReadyTimeoutMs);
    watchAgents();
    reconcile();
}

void WorkloadTapSession::reconcile()
{
    if (m_tearingDown || (m_state != State::Starting && m_state != State::Running)) {
        return; // before the agents start, the pods are only recorded; startAgents() takes them all
    }
    for (qsizetype i = 0; i < m_members.size(); ++i) {
        const WorkloadMember::State state = m_members[i].state;
        if (m_private[i].runnable && !m_private[i].listed &&
            (state == WorkloadMember::State::Waiting || state == WorkloadMember::State::Skipped ||
                state == WorkloadMember::State::Gone)) {
            const bool handed = giveLine(i);
            if (handed && m_state == State::Running) {
                Q_EMIT progress(tr("Handing %1 to the agent on node %2").arg(m_members[i].key, m_members[i].node));
            }
        }
    }
    for (auto it = m_nodes.begin(); it != m_nodes.end(); ++it) {
        NodeAgent &agent = it.value();
        if (agent.remoteIp.isEmpty() || agent.ended) {
            continue;
        }
        const QString list = workloadTargetList(targetsOn(agent.node));
        if (!agent.created && !agent.creating) {
            if (!list.isEmpty()) {
                createAgent(agent);
            }
            continue;
        }
        if (agent.created && !agent.patching && list != agent.appliedList) {
            patchTargets(agent);
        }
    }
}

void WorkloadTapSession::createAgent(NodeAgent &agent)
{
    const QList<WorkloadTargetSpec> targets = targetsOn(agent.node);
    const QString list = workloadTargetList(targets);
    const QString node = agent.node;
    agent.creating = true;
    Q_EMIT progress(
        tr("Creating the agent pod %1 on node %2 for %3").arg(agent.podName, node, podCount(targets.size())));
    m_client->create(podsPath(m_plan.agentNamespace), nodeAgentPod(planFor(agent), node, targets))
        ->onFinished(this, [this, node, list](KubeReply *reply) {
            reply->deleteLater();
            NodeAgent &agent = m_nodes[node];
            agent.creating = false;
            if (reply->ok()) {
                agent.created = true;
                agent.appliedList = list;
                if (m_tearingDown) {
                    // Teardown started while this was on its way: it goes too.
                    ++m_pendingDeletes;
                    m_client->remove(podsPath(m_plan.agentNamespace, agent.podName), m_options.deleteGraceSeconds)
                        ->onFinished(this, [this](KubeReply *removed) {
                            removed->deleteLater();
                            if (--m_pendingDeletes == 0 && m_state == State::Stopping) {
                                finishTeardown();
                            }
                        });
                    return;
                }
                reconcile(); // pods that came meanwhile
                return;
            }
            if (m_tearingDown) {
                return;
            }
            const ApiError &e = reply->error();
            const PreflightFix fix = explainRefusal(
                ApiRefusal {e.httpStatus, e.reason, e.message, e.detailsKind, e.detailsName}, m_plan.agentNamespace);
            const QString summary = tr("Creating agent pod %1/%2 on node %3 failed: %4")
                                        .arg(m_plan.agentNamespace, agent.podName, node, e.toString());
            if (m_state == State::Starting) {
                fail(summary, fix.fix);
                return;
            }
            agent.ended = true;
            warn(summary + QLatin1Char(' ') + fix.fix);
            for (qsizetype i = 0; i < m_members.size(); ++i) {
                if (m_private[i].listed && m_members[i].node == node) {
                    memberFailed(i, tr("its node's agent pod could not be created"));
                }
            }
        });
}

void WorkloadTapSession::patchTargets(NodeAgent &agent)
{
    const QString list = workloadTargetList(targetsOn(agent.node));
    const QString node = agent.node;
    agent.patching = true;
    const QJsonObject patch {{QStringLiteral("metadata"),
        QJsonObject {{QStringLiteral("annotations"), QJsonObject {{QLatin1String(kAnnotationTargets), list}}}}}};
    request(
        m_client->patch(podsPath(m_plan.agentNamespace, agent.podName), patch), [this, node, list](KubeReply *reply) {
            NodeAgent &agent = m_nodes[node];
            agent.patching = false;
            if (reply->ok()) {
                agent.appliedList = list;
            } else if (reply->error().isNotFound()) {
                agent.ended = true;
                return;
            } else {
                warn(tr("Could not change the pods of agent %1/%2: %3. The session tries again with the next change.")
                         .arg(m_plan.agentNamespace, agent.podName, reply->error().toString()));
                return;
            }
            reconcile(); // changes that came while this patch was on its way
        });
}

void WorkloadTapSession::watchAgents()
{
    kube::ListOptions options;
    options.labelSelector = QStringLiteral("%1=%2").arg(QLatin1String(kLabelSession), m_sessionId);
    m_agentWatch = new kube::ListWatch(m_client, podsPath(m_plan.agentNamespace), options, this);
    connect(m_agentWatch, &kube::ListWatch::pageReceived, this, [this](const QJsonArray &items) {
        for (const QJsonValue &item : items) {
            onAgentPod(item.toObject(), false);
        }
    });
    connect(
        m_agentWatch, &kube::ListWatch::eventReceived, this, [this](kube::WatchEventType type, const QJsonObject &pod) {
            onAgentPod(pod, type == kube::WatchEventType::Deleted);
        });
    m_agentWatch->start();
}

void WorkloadTapSession::onAgentPod(const QJsonObject &pod, bool deleted)
{
    if (m_tearingDown) {
        return;
    }
    const QString name = metadataField(pod, "name");
    const QString node = m_nodeOfAgentPod.value(name);
    if (node.isEmpty() || !m_nodes.contains(node)) {
        return;
    }
    NodeAgent &agent = m_nodes[node];
    if (deleted) {
        if (agent.created && !agent.ended) {
            agent.ended = true;
            stop(tr("the agent pod %1 on node %2 was deleted").arg(name, node));
        }
        return;
    }
    const QJsonObject status = pod.value(QLatin1String("status")).toObject();
    const QString phase = status.value(QLatin1String("phase")).toString();
    for (const QJsonValue &c : status.value(QLatin1String("conditions")).toArray()) {
        const QJsonObject condition = c.toObject();
        if (condition.value(QLatin1String("reason")).toString() == QLatin1String("Unschedulable")) {
            fail(tr("Agent pod %1 cannot be scheduled: %2")
                     .arg(name, condition.value(QLatin1String("message")).toString()),
                tr("The agent must run on node %1; check that the node exists and is Ready.").arg(node));
            return;
        }
    }
    for (const QJsonValue &c : status.value(QLatin1String("containerStatuses")).toArray()) {
        agent.restarts = c.toObject().value(QLatin1String("restartCount")).toInt(agent.restarts);
        const QJsonObject waiting =
            c.toObject().value(QLatin1String("state")).toObject().value(QLatin1String("waiting")).toObject();
        const QString reason = waiting.value(QLatin1String("reason")).toString();
        for (const char *stuck : kStuckReasons) {
            if (reason == QLatin1String(stuck)) {
                fail(tr("Agent pod %1 on node %2 is stuck in %3: %4")
                         .arg(name, node, reason, waiting.value(QLatin1String("message")).toString()),
                    tr("See kubectl describe pod -n %1 %2; for image errors check --image and that the node can "
                       "pull it.")
                        .arg(m_plan.agentNamespace, name));
                return;
            }
        }
    }
    if (phase == QLatin1String("Failed") || phase == QLatin1String("Succeeded")) {
        if (!agent.ended) {
            agent.ended = true;
            const QString text = tr("Agent pod %1 on node %2 ended (%3): %4")
                                     .arg(name, node, phase, status.value(QLatin1String("message")).toString());
            if (m_state == State::Starting) {
                fail(text, tr("Read its log: kubectl logs -n %1 %2").arg(m_plan.agentNamespace, name));
            } else {
                stop(text);
            }
        }
        return;
    }
    if (phase == QLatin1String("Running") && !agent.running) {
        agent.running = true;
        followLog(node);
    }
}

void WorkloadTapSession::followLog(const QString &node)
{
    NodeAgent &agent = m_nodes[node];
    // A log followed again after a dropped connection starts from its beginning: what was read is skipped. A
    // restarted agent container has a new log, read whole.
    agent.linesToSkip = agent.restarts == agent.restartsWhenFollowed ? agent.linesRead : 0;
    agent.restartsWhenFollowed = agent.restarts;
    agent.linesRead = 0;
    agent.log = m_client->followLog(m_plan.agentNamespace, agent.podName);
    connect(agent.log, &kube::KubeStream::lineReceived, this,
        [this, node](const QByteArray &line) { onAgentLine(node, line); });
    connect(agent.log, &kube::KubeStream::closed, this, [this, node](const ApiError &error) {
        NodeAgent &agent = m_nodes[node];
        if (agent.log) {
            agent.log->deleteLater();
        }
        if (m_state == State::Stopping) {
            if (m_deletesDone) {
                QTimer::singleShot(0, this, &WorkloadTapSession::finishTeardown);
            }
            return;
        }
        if (m_state != State::Starting && m_state != State::Running) {
            return;
        }
        // The log ends when the agent's container restarts or the connection drops: follow it again.
        if (++agent.logReopens > kMaxLogReopens) {
            warn(tr("Lost the log of agent %1 on node %2: %3; its pods' events no longer reach this session.")
                     .arg(agent.podName, node, error.isError() ? error.toString() : tr("the stream ended")));
            return;
        }
        QTimer::singleShot(500 * agent.logReopens, this, [this, node] {
            if (m_state == State::Starting || m_state == State::Running) {
                followLog(node);
            }
        });
    });
}

void WorkloadTapSession::onAgentLine(const QString &node, const QByteArray &line)
{
    NodeAgent &agent = m_nodes[node];
    if (agent.linesRead++ < agent.linesToSkip) {
        return; // read before the log was followed again
    }
    const auto event = parseAgentEvent(line);
    if (!event) {
        return;
    }
    const QString tag = event->raw.value(QLatin1String("target")).toString();
    if (!tag.isEmpty()) {
        onTargetEvent(node, tag, *event);
        return;
    }
    if (event->name == QLatin1String("targets")) {
        if (!agent.contractChecked) {
            agent.contractChecked = true;
            const double number = event->raw.value(QLatin1String("contract")).toDouble(0);
            const int contract = number >= 1 && number <= 1000000 && number == double(int(number)) ? int(number) : 0;
            const QString problem = agentContractProblem(
                contract, event->raw.value(QLatin1String("version")).toString(), m_plan.effectiveImage());
            if (!problem.isEmpty()) {
                fail(tr("Refused the agent in %1 on node %2: %3").arg(agent.podName, node, problem),
                    tr("Run the tap with the agent image of this console's version: --image %1")
                        .arg(TapPlan::defaultImage()));
                return;
            }
        }
        agent.logReopens = 0;
        // Lines taken out for a retry go back once the agent has dropped them.
        QSet<QString> listed;
        for (const char *field : {"active", "ended"}) {
            for (const QJsonValue &tag : event->raw.value(QLatin1String(field)).toArray()) {
                listed.insert(tag.toString());
            }
        }
        QStringList due;
        for (qsizetype i = 0; i < m_members.size(); ++i) {
            if (m_private[i].reAddPending && m_members[i].node == node && !listed.contains(m_members[i].key)) {
                due << m_members[i].key;
            }
        }
        for (const QString &key : std::as_const(due)) {
            m_private[memberIndex(key)].reAddDropped = true;
            maybeReAdd(key);
        }
        return;
    }
    switch (event->type) {
    case AgentEvent::Type::Warning:
        warn(tr("Agent on node %1: %2").arg(node, event->message));
        break;
    case AgentEvent::Type::Error:
        warn(tr("The agent on node %1 reported: %2").arg(node, event->message));
        break;
    case AgentEvent::Type::Stopped:
        agent.agentStopped = true;
        if (m_state == State::Stopping) {
            if (m_deletesDone) {
                finishTeardown();
            }
            break;
        }
        if (m_state == State::Starting || m_state == State::Running) {
            stop(tr("the agent on node %1 stopped: %2").arg(node, event->reason));
        }
        break;
    case AgentEvent::Type::Ready:
        // A single-target agent (an old image that ignores --targets-file would not start at all): refuse it.
        if (m_state == State::Starting) {
            fail(tr("The agent in %1 on node %2 answered as a single-pod agent, not with its target list.")
                     .arg(agent.podName, node),
                tr("Run the tap with the agent image of this console's version: --image %1")
                    .arg(TapPlan::defaultImage()));
        }
        break;
    case AgentEvent::Type::Stats:
    case AgentEvent::Type::Other:
        break;
    }
}

void WorkloadTapSession::onTargetEvent(const QString &node, const QString &tag, const AgentEvent &event)
{
    const qsizetype index = memberIndex(tag);
    if (index < 0) {
        return;
    }
    WorkloadMember &member = m_members[index];
    MemberPrivate &extra = m_private[index];
    // Events of a line the session has since moved elsewhere (another node) or removed are history.
    const bool current = extra.listed && member.node == node;
    const bool hasCounters = event.raw.contains(QLatin1String("ingress")) ||
        event.raw.contains(QLatin1String("egress")) || event.raw.contains(QLatin1String("packets"));
    switch (event.type) {
    case AgentEvent::Type::Ready:
        if (!current) {
            break;
        }
        if ((event.vni != 0 && event.vni != member.vni) ||
            (event.egressVni != 0 && event.egressVni != member.egressVni)) {
            break; // the ready of an older line of this pod
        }
        if (member.state != WorkloadMember::State::Tapped) {
            member.state = WorkloadMember::State::Tapped;
            member.detail.clear();
            Q_EMIT memberChanged(tag);
            Q_EMIT memberEvent(tr("+%1 tapped on %2").arg(tag, node));
        }
        if (m_capture) {
            m_capture->agentReady();
        }
        if (m_state == State::Starting) {
            checkStarted();
        }
        break;
    case AgentEvent::Type::Stats:
        if (m_members[index].node != node) {
            break;
        }
        if (hasCounters) {
            const qint64 now = elapsedMs();
            if (extra.lastBytes >= 0 && now > extra.lastStatsMs && event.stats.bytes >= extra.lastBytes) {
                extra.bitsPerSecond =
                    double(event.stats.bytes - extra.lastBytes) * 8.0 * 1000.0 / double(now - extra.lastStatsMs);
            }
            extra.lastBytes = event.stats.bytes;
            extra.lastStatsMs = now;
            // Each install of the pod's line counts from zero: earlier installs' totals come first.
            member.mirroredPackets = extra.mirroredBefore.packets + event.stats.packets;
            member.mirroredBytes = extra.mirroredBefore.bytes + event.stats.bytes;
            Q_EMIT memberChanged(tag);
            if (m_capture) {
                m_capture->setAgentMirrored(stats().packets);
            }
            Q_EMIT countersChanged();
            checkBandwidth();
        }
        break;
    case AgentEvent::Type::Warning:
        warn(tr("%1 (on node %2): %3").arg(tag, node, event.message));
        break;
    case AgentEvent::Type::Error:
        if (current && member.state != WorkloadMember::State::Gone) {
            const QString code = event.raw.value(QLatin1String("code")).toString();
            if (code == QLatin1String("target-not-found") && extra.retries < kTargetRetries) {
                retryLater(index, event.message);
            } else if (code == QLatin1String("kernel-refused") &&
                event.message.contains(QLatin1String("already uses VNI")) && extra.retries < kTargetRetries) {
                retryWithNewVnis(index, event.message);
            } else {
                memberFailed(index, event.message);
            }
        }
        break;
    case AgentEvent::Type::Stopped:
        if (hasCounters && member.node == node) {
            // The final counters of this install: the last word on what it mirrored. A later install of the
            // pod's line (a new container) adds to them.
            extra.mirroredBefore.packets += event.stats.packets;
            extra.mirroredBefore.bytes += event.stats.bytes;
            extra.lastBytes = -1;
            member.mirroredPackets = extra.mirroredBefore.packets;
            member.mirroredBytes = extra.mirroredBefore.bytes;
            Q_EMIT memberChanged(tag);
            Q_EMIT countersChanged();
        }
        if (!current) {
            break;
        }
        if (event.reason == QLatin1String("target-gone")) {
            if (member.state != WorkloadMember::State::Gone) {
                member.state = WorkloadMember::State::Gone;
                member.detail = tr("its container ended; a new one is tapped again");
                Q_EMIT memberChanged(tag);
                Q_EMIT memberEvent(tr("-%1 gone (its container ended)").arg(tag));
                if (m_state == State::Starting) {
                    checkStarted();
                }
            }
        } else if (event.reason == QLatin1String("changed")) {
            if (member.state == WorkloadMember::State::Tapped) {
                member.state = WorkloadMember::State::Starting;
                member.detail = tr("tapping the new container");
                Q_EMIT memberChanged(tag);
            }
        } else if (event.reason == QLatin1String("device-changed")) {
            member.state = WorkloadMember::State::Failed;
            member.detail = tr("its interface changed under the mirror");
            Q_EMIT memberChanged(tag);
            Q_EMIT memberEvent(tr("!%1 stopped: its interface changed under the mirror").arg(tag));
        }
        break;
    case AgentEvent::Type::Other:
        break;
    }
}

void WorkloadTapSession::checkStarted()
{
    if (m_state != State::Starting) {
        return;
    }
    int tapped = 0;
    QStringList failures;
    for (const WorkloadMember &member : std::as_const(m_members)) {
        switch (member.state) {
        case WorkloadMember::State::Starting:
            return; // not yet
        case WorkloadMember::State::Tapped:
            ++tapped;
            break;
        case WorkloadMember::State::Failed:
            failures << member.key + QStringLiteral(": ") + member.detail;
            break;
        default:
            break;
        }
    }
    // Every pod found at the start was tapped (or failed); unlisted ones (waiting, skipped) follow later.
    if (tapped == 0) {
        if (failures.isEmpty()) {
            return; // nothing handed over yet (node lookups on their way)
        }
        fail(tr("None of %1 could be tapped:\n%2").arg(m_request.subjectText(), failures.join(QLatin1Char('\n'))),
            tr("The agents' messages say what failed for each pod."));
        return;
    }
    m_stepTimer.stop();
    setState(State::Running,
        tr("Mirroring %1 (%2) to this machine's UDP port %3")
            .arg(podCount(tapped), m_request.describe())
            .arg(m_capture ? m_capture->port() : m_request.port));
    m_heartbeatTimer.start();
    m_durationTimer.start(std::chrono::milliseconds(m_request.maxDuration));
    if (m_options.capture.tool != CaptureTool::None) {
        QString error;
        QProcess *viewer = openViewer(m_options.capture.tool, {}, &error);
        if (!viewer) {
            warn(error);
        } else if (m_options.capture.tool == CaptureTool::Tshark) {
            // tshark's text lines are the session's packet lines, as for a single-pod tap.
            m_viewer = viewer;
            connect(viewer, &QProcess::readyRead, this, [this, viewer] {
                while (viewer->canReadLine()) {
                    const QString line = QString::fromUtf8(viewer->readLine()).trimmed();
                    // tshark's own notes (merged from stderr) are not packets.
                    if (line.isEmpty() || line.startsWith(QLatin1String("Capturing on")) ||
                        line.endsWith(QLatin1String("packets captured")) ||
                        line.endsWith(QLatin1String("packet captured"))) {
                        continue;
                    }
                    Q_EMIT packetLine(line);
                }
            });
        }
    }
    if (!m_readyEmitted) {
        m_readyEmitted = true;
        Q_EMIT ready();
    }
}

void WorkloadTapSession::checkBandwidth()
{
    if (m_bandwidthWarned || m_request.bandwidthWarningBitsPerSecond <= 0) {
        return;
    }
    double total = 0;
    int pods = 0;
    for (qsizetype i = 0; i < m_members.size(); ++i) {
        if (m_members[i].state == WorkloadMember::State::Tapped) {
            total += m_private[i].bitsPerSecond;
            ++pods;
        }
    }
    if (total <= double(m_request.bandwidthWarningBitsPerSecond)) {
        return;
    }
    m_bandwidthWarned = true;
    warn(tr("%1 about %2 Mbit/s together, and the tunnel carries that much (plus about 50 bytes per packet) "
            "from the nodes to this machine; above %3 Mbit/s. Narrow the target, or mirror less with a capture filter "
            "(--filter).")
             .arg(pods == 1 ? tr("The tapped pod mirrors") : tr("The %1 tapped pods mirror").arg(pods))
             .arg(megabits(total), megabits(double(m_request.bandwidthWarningBitsPerSecond))));
}

QProcess *WorkloadTapSession::openViewer(CaptureTool tool, const QStringList &extraArguments, QString *error)
{
    return openCaptureViewer(m_capture, m_sessionId, m_options, tool, extraArguments, error);
}

void WorkloadTapSession::sendHeartbeat()
{
    const QJsonObject patch {{QStringLiteral("metadata"),
        QJsonObject {{QStringLiteral("annotations"),
            QJsonObject {// The API server's clock, which sweeps age heartbeats by.
                {QLatin1String(kAnnotationHeartbeat), heartbeatTimestamp(m_client->serverNow())}}}}}};
    for (const NodeAgent &agent : std::as_const(m_nodes)) {
        if (!agent.created || agent.ended) {
            continue;
        }
        const QString pod = agent.podName;
        request(m_client->patch(podsPath(m_plan.agentNamespace, pod), patch), [this, pod](KubeReply *reply) {
            if (!reply->ok() && m_state == State::Running) {
                warn(tr("Heartbeat for %1 failed: %2. The agent stops by itself after %3 s without one.")
                         .arg(pod, reply->error().toString())
                         .arg(m_options.heartbeatTimeoutSeconds));
            }
        });
    }
}

void WorkloadTapSession::stop(const QString &reason)
{
    if (!isActive() || m_state == State::Stopping) {
        return;
    }
    m_stopReason = reason;
    if (m_state == State::Validating) {
        setState(State::Stopped, tr("Stopped: %1").arg(reason));
        Q_EMIT finished();
        return;
    }
    teardown();
}

void WorkloadTapSession::teardown()
{
    if (m_tearingDown) {
        return;
    }
    m_tearingDown = true;
    m_heartbeatTimer.stop();
    m_durationTimer.stop();
    m_stepTimer.stop();
    m_stepTimer.disconnect();
    for (const QPointer<kube::ListWatch> &watch : std::as_const(m_podWatches)) {
        if (watch) {
            watch->stop();
            watch->deleteLater();
        }
    }
    m_podWatches.clear();
    if (m_agentWatch) {
        m_agentWatch->stop();
        m_agentWatch->deleteLater();
    }
    if (m_resolver) {
        m_resolver->deleteLater();
    }
    if (m_preflight) {
        m_preflight->deleteLater();
    }
    setState(State::Stopping,
        m_stopReason.isEmpty() ? tr("Removing what this tap created") : tr("Stopping: %1").arg(m_stopReason));
    // Agents that never said anything will not say `stopped` either: their logs close now.
    for (NodeAgent &agent : m_nodes) {
        if (agent.log && !agent.contractChecked) {
            agent.log->disconnect(this);
            agent.log->close();
        }
    }
    connect(&m_stepTimer, &QTimer::timeout, this, [this] {
        warn(tr("Deleting the agent pods did not finish within %1 s; run podtapctl sweep to remove leftovers.")
                 .arg(m_options.stopTimeoutMs / 1000));
        m_pendingDeletes = 0;
        m_stoppedWaitOver = true;
        finishTeardown();
    });
    m_stepTimer.start(m_options.stopTimeoutMs);
    // Every agent pod goes at once; each agent answers SIGTERM with its targets' and its own `stopped` lines.
    for (NodeAgent &agent : m_nodes) {
        if (!agent.created) {
            continue;
        }
        ++m_pendingDeletes;
        const QString pod = agent.podName;
        Q_EMIT progress(tr("Deleting agent pod %1/%2").arg(m_plan.agentNamespace, pod));
        m_client->remove(podsPath(m_plan.agentNamespace, pod), m_options.deleteGraceSeconds)
            ->onFinished(this, [this, pod](KubeReply *reply) {
                reply->deleteLater();
                if (!reply->ok() && !reply->error().isNotFound()) {
                    warn(tr("Could not delete agent pod %1/%2: %3. Remove it with podtapctl sweep.")
                             .arg(m_plan.agentNamespace, pod, reply->error().toString()));
                }
                const QString node = m_nodeOfAgentPod.value(pod);
                if (m_nodes.contains(node)) {
                    m_nodes[node].ended = true;
                }
                if (--m_pendingDeletes == 0 && m_state == State::Stopping) {
                    finishTeardown();
                }
            });
    }
    if (m_pendingDeletes == 0) {
        finishTeardown();
    }
}

void WorkloadTapSession::finishTeardown()
{
    if (m_state != State::Stopping || m_pendingDeletes > 0) {
        return;
    }
    m_deletesDone = true;
    // Wait a little for the agents' final counters: a running agent writes its `stopped` when its pod goes.
    bool waiting = false;
    for (const NodeAgent &agent : std::as_const(m_nodes)) {
        waiting = waiting || (agent.log && !agent.log->isClosed() && agent.contractChecked && !agent.agentStopped);
    }
    if (waiting && !m_stoppedWaitOver) {
        if (!m_stoppedWait.isActive()) {
            Q_EMIT progress(tr("Waiting for the agents' final counters"));
            m_stoppedWait.start();
        }
        return;
    }
    m_stoppedWait.stop();
    m_stepTimer.stop();
    for (NodeAgent &agent : m_nodes) {
        if (agent.log) {
            agent.log->disconnect(this);
            agent.log->close();
        }
    }
    // The capture stops after the agents are gone, so every mirrored packet had its chance to arrive.
    if (m_capture) {
        m_capture->stop();
        // The last word on what each pod's interface got (the counters stay after stop).
        for (qsizetype i = 0; i < m_members.size(); ++i) {
            if (m_private[i].captureIndex >= 0) {
                const receive::LocalCapture::Counters target = m_capture->targetCounters(m_private[i].captureIndex);
                m_members[i].capturedPackets = qint64(target.packets);
                m_members[i].capturedBytes = qint64(target.bytes);
            }
        }
        const receive::LocalCapture::Counters total = m_capture->counters();
        m_capturedPackets = qint64(total.packets);
        m_capturedBytes = qint64(total.bytes);
        m_captureDrops = qint64(total.drops);
        Q_EMIT countersChanged();
    }
    if (m_failedBeforeTeardown) {
        setState(State::Failed, tr("Failed: %1").arg(m_failureSummary));
    } else {
        setState(State::Stopped, tr("Stopped: %1").arg(m_stopReason));
    }
    Q_EMIT finished();
}

} // namespace podtap
