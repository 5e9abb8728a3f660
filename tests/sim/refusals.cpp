// SPDX-License-Identifier: Apache-2.0
#include "refusals.h"

#include <QJsonArray>

namespace podtap::sim {

namespace {

QByteArrayList quotedList(const QStringList &items)
{
    QByteArrayList quoted;
    for (const QString &item : items) {
        quoted.append('"' + item.toUtf8() + '"');
    }
    return quoted;
}

struct ContainerView
{
    QByteArray name;
    QJsonObject securityContext;
    QJsonArray ports;
};

std::vector<ContainerView> allContainers(const QJsonObject &spec)
{
    std::vector<ContainerView> containers;
    for (const char *field : {"initContainers", "containers", "ephemeralContainers"}) {
        for (const QJsonValue &value : spec.value(QLatin1String(field)).toArray()) {
            const QJsonObject c = value.toObject();
            containers.push_back({c.value(QLatin1String("name")).toString().toUtf8(),
                c.value(QLatin1String("securityContext")).toObject(), c.value(QLatin1String("ports")).toArray()});
        }
    }
    return containers;
}

QByteArray joinContainers(const QByteArrayList &names)
{
    // "container \"a\"" or "containers \"a\", \"b\"", as the admission plugin words it.
    QByteArrayList quoted;
    for (const QByteArray &n : names) {
        quoted.append('"' + n + '"');
    }
    return (names.size() == 1 ? "container " : "containers ") + quoted.join(", ");
}

} // namespace

bool Refusals::addForbid(const QByteArray &rule)
{
    const QByteArrayList parts = rule.split(':');
    if (parts.size() < 2 || parts.size() > 4 || parts[0].isEmpty() || parts[1].isEmpty()) {
        return false;
    }
    m_forbid.push_back({parts[0], parts[1], parts.value(2), parts.value(3)});
    return true;
}

bool Refusals::addPodSecurity(const QByteArray &setting)
{
    const qsizetype eq = setting.indexOf('=');
    const QByteArray level = setting.mid(eq + 1);
    if (eq <= 0 || (level != "restricted" && level != "baseline" && level != "privileged")) {
        return false;
    }
    m_podSecurity.insert(setting.left(eq), level);
    return true;
}

bool Refusals::addQuota(const QByteArray &setting)
{
    const qsizetype eq = setting.indexOf('=');
    bool ok = false;
    const int pods = setting.mid(eq + 1).toInt(&ok);
    if (eq <= 0 || !ok || pods < 0) {
        return false;
    }
    m_quota.insert(setting.left(eq), pods);
    return true;
}

bool Refusals::isForbidden(
    const QByteArray &verb, const QByteArray &resource, const QByteArray &ns, const QByteArray &user) const
{
    for (const ForbidRule &rule : m_forbid) {
        if ((rule.verb == "*" || rule.verb == verb) && (rule.resource == "*" || rule.resource == resource) &&
            (rule.ns.isEmpty() || rule.ns == ns) && (rule.user.isEmpty() || rule.user == user)) {
            return true;
        }
    }
    return false;
}

QByteArray Refusals::podSecurityViolations(const QJsonObject &spec, const QByteArray &level)
{
    if (level != "baseline" && level != "restricted") {
        return {};
    }
    const bool restricted = level == "restricted";
    const std::vector<ContainerView> containers = allContainers(spec);
    const QJsonObject podContext = spec.value(QLatin1String("securityContext")).toObject();
    QByteArrayList reasons;

    // The checks run in the admission plugin's order (by check ID).
    if (restricted) {
        QByteArrayList bad;
        for (const ContainerView &c : containers) {
            const QJsonValue ape = c.securityContext.value(QLatin1String("allowPrivilegeEscalation"));
            if (!ape.isBool() || ape.toBool()) {
                bad.append(c.name);
            }
        }
        if (!bad.isEmpty()) {
            reasons.append("allowPrivilegeEscalation != false (" + joinContainers(bad) +
                " must set securityContext.allowPrivilegeEscalation=false)");
        }
    }
    {
        static const QStringList baselineCaps = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
            "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"};
        QByteArrayList noDrop;
        QByteArrayList addDetails;
        for (const ContainerView &c : containers) {
            const QJsonObject caps = c.securityContext.value(QLatin1String("capabilities")).toObject();
            bool dropsAll = false;
            for (const QJsonValue &d : caps.value(QLatin1String("drop")).toArray()) {
                dropsAll = dropsAll || d.toString() == QLatin1String("ALL");
            }
            if (restricted && !dropsAll) {
                noDrop.append(c.name);
            }
            QStringList badAdds;
            for (const QJsonValue &a : caps.value(QLatin1String("add")).toArray()) {
                const QString cap = a.toString();
                const bool allowed = restricted ? cap == QLatin1String("NET_BIND_SERVICE") : baselineCaps.contains(cap);
                if (!allowed && !badAdds.contains(cap)) {
                    badAdds.append(cap);
                }
            }
            if (!badAdds.isEmpty()) {
                addDetails.append("container \"" + c.name + "\" must not include " + quotedList(badAdds).join(", ") +
                    " in securityContext.capabilities.add");
            }
        }
        QByteArrayList details;
        if (!noDrop.isEmpty()) {
            details.append(joinContainers(noDrop) + " must set securityContext.capabilities.drop=[\"ALL\"]");
        }
        details.append(addDetails);
        if (!details.isEmpty()) {
            reasons.append(
                (restricted ? "unrestricted capabilities (" : "non-default capabilities (") + details.join("; ") + ')');
        }
    }
    {
        QByteArrayList hostNs;
        for (const char *field : {"hostNetwork", "hostPID", "hostIPC"}) {
            if (spec.value(QLatin1String(field)).toBool()) {
                hostNs.append(QByteArray(field) + "=true");
            }
        }
        if (!hostNs.isEmpty()) {
            reasons.append("host namespaces (" + hostNs.join(", ") + ')');
        }
    }
    QByteArrayList hostPathVolumes;
    QByteArrayList restrictedVolumes;
    for (const QJsonValue &value : spec.value(QLatin1String("volumes")).toArray()) {
        const QJsonObject volume = value.toObject();
        const QByteArray name = volume.value(QLatin1String("name")).toString().toUtf8();
        static const QStringList allowedTypes = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
            "persistentVolumeClaim", "projected", "secret", "name"};
        if (volume.contains(QLatin1String("hostPath"))) {
            hostPathVolumes.append('"' + name + '"');
        }
        for (auto it = volume.begin(); it != volume.end(); ++it) {
            if (!allowedTypes.contains(it.key())) {
                restrictedVolumes.append(
                    "volume \"" + name + "\" uses restricted volume type \"" + it.key().toUtf8() + '"');
            }
        }
    }
    if (!restricted && !hostPathVolumes.isEmpty()) {
        reasons.append("hostPath volumes (" + QByteArray(hostPathVolumes.size() == 1 ? "volume " : "volumes ") +
            hostPathVolumes.join(", ") + ')');
    }
    {
        QByteArrayList ports;
        for (const ContainerView &c : containers) {
            for (const QJsonValue &p : c.ports) {
                const int hostPort = p.toObject().value(QLatin1String("hostPort")).toInt();
                if (hostPort != 0) {
                    ports.append("container \"" + c.name + "\" uses hostPort " + QByteArray::number(hostPort));
                }
            }
        }
        if (!ports.isEmpty()) {
            reasons.append("hostPort (" + ports.join(", ") + ')');
        }
    }
    {
        QByteArrayList privileged;
        for (const ContainerView &c : containers) {
            if (c.securityContext.value(QLatin1String("privileged")).toBool()) {
                privileged.append(c.name);
            }
        }
        if (!privileged.isEmpty()) {
            reasons.append(
                "privileged (" + joinContainers(privileged) + " must not set securityContext.privileged=true)");
        }
    }
    if (restricted && !restrictedVolumes.isEmpty()) {
        reasons.append("restricted volume types (" + restrictedVolumes.join(", ") + ')');
    }
    if (restricted) {
        const bool podNonRoot = podContext.value(QLatin1String("runAsNonRoot")).toBool();
        QByteArrayList bad;
        for (const ContainerView &c : containers) {
            const QJsonValue v = c.securityContext.value(QLatin1String("runAsNonRoot"));
            if (v.isBool() ? !v.toBool() : !podNonRoot) {
                bad.append(c.name);
            }
        }
        if (!bad.isEmpty()) {
            reasons.append(
                "runAsNonRoot != true (pod or " + joinContainers(bad) + " must set securityContext.runAsNonRoot=true)");
        }
        const auto seccompOk = [](const QJsonObject &context) {
            const QString type =
                context.value(QLatin1String("seccompProfile")).toObject().value(QLatin1String("type")).toString();
            return type == QLatin1String("RuntimeDefault") || type == QLatin1String("Localhost");
        };
        QByteArrayList noSeccomp;
        for (const ContainerView &c : containers) {
            if (!seccompOk(c.securityContext) && !seccompOk(podContext)) {
                noSeccomp.append(c.name);
            }
        }
        if (!noSeccomp.isEmpty()) {
            reasons.append("seccompProfile (pod or " + joinContainers(noSeccomp) +
                " must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")");
        }
    }
    return reasons.join(", ");
}

QJsonObject Refusals::toJson() const
{
    QJsonArray forbid;
    for (const ForbidRule &rule : m_forbid) {
        QByteArray text = rule.verb + ':' + rule.resource;
        if (!rule.ns.isEmpty() || !rule.user.isEmpty()) {
            text += ':' + rule.ns;
        }
        if (!rule.user.isEmpty()) {
            text += ':' + rule.user;
        }
        forbid.append(QString::fromUtf8(text));
    }
    QJsonObject podSecurity;
    for (auto it = m_podSecurity.begin(); it != m_podSecurity.end(); ++it) {
        podSecurity.insert(QString::fromUtf8(it.key()), QString::fromUtf8(it.value()));
    }
    QJsonObject quota;
    for (auto it = m_quota.begin(); it != m_quota.end(); ++it) {
        quota.insert(QString::fromUtf8(it.key()), it.value());
    }
    return {{QStringLiteral("forbid"), forbid}, {QStringLiteral("podSecurity"), podSecurity},
        {QStringLiteral("quota"), quota}};
}

bool Refusals::fromJson(const QJsonObject &json, QByteArray *error)
{
    Refusals next;
    for (const QJsonValue &rule : json.value(QLatin1String("forbid")).toArray()) {
        if (!next.addForbid(rule.toString().toUtf8())) {
            *error = "forbid rule \"" + rule.toString().toUtf8() + "\" is not VERB:RESOURCE[:NAMESPACE[:USER]]";
            return false;
        }
    }
    const QJsonObject podSecurity = json.value(QLatin1String("podSecurity")).toObject();
    for (auto it = podSecurity.begin(); it != podSecurity.end(); ++it) {
        if (!next.addPodSecurity((it.key() + QLatin1Char('=') + it.value().toString()).toUtf8())) {
            *error = "podSecurity level for \"" + it.key().toUtf8() + "\" must be restricted, baseline or privileged";
            return false;
        }
    }
    const QJsonObject quota = json.value(QLatin1String("quota")).toObject();
    for (auto it = quota.begin(); it != quota.end(); ++it) {
        if (!it.value().isDouble() || it.value().toInt() < 0) {
            *error = "quota for \"" + it.key().toUtf8() + "\" must be a pod count";
            return false;
        }
        next.m_quota.insert(it.key().toUtf8(), it.value().toInt());
    }
    *this = next;
    return true;
}

} // namespace podtap::sim
