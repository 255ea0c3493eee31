package dev.smg.api.discovery;

import dev.smg.api.config.DiscoveryConfig;
import dev.smg.api.config.GatewayConfig;
import dev.smg.api.config.GatewayFlags;
import dev.smg.mesh.membership.MembershipSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The manifests under scripts/k8s, read with fabric8's own deserializer into the typed Kubernetes
 * model: every field must be a known one (a misspelt key would land in "additionalProperties"),
 * the pieces must fit together, and the container's arguments must be a command line smg accepts.
 */
class K8sManifestsTest {
    private static final Path DIR = Path.of("..", "scripts", "k8s");

    private static List<HasMetadata> load(String file) throws Exception {
        try (InputStream in = Files.newInputStream(DIR.resolve(file))) {
            Object loaded = new KubernetesSerialization().unmarshal(in);
            List<HasMetadata> out = new ArrayList<>();
            if (loaded instanceof List<?> list) {
                list.forEach(o -> out.add((HasMetadata) o));
            } else {
                out.add((HasMetadata) loaded);
            }
            out.forEach(r -> assertNoUnknownFields(r, file + ":" + r.getKind()));
            return out;
        }
    }

    private static <T> T only(List<HasMetadata> resources, Class<T> type, String name) {
        List<T> found = resources.stream().filter(type::isInstance).map(type::cast)
                .filter(r -> ((HasMetadata) r).getMetadata().getName().equals(name)).toList();
        assertEquals(1, found.size(), type.getSimpleName() + " " + name);
        return found.get(0);
    }

    @Test
    void rbacGrantsReadingPodsToTheRoutersServiceAccount() throws Exception {
        List<HasMetadata> rbac = load("rbac.yaml");
        ServiceAccount account = only(rbac, ServiceAccount.class, "smg");
        Role role = only(rbac, Role.class, "smg-router-discovery");
        PolicyRule rule = role.getRules().get(0);
        assertEquals(1, role.getRules().size());
        assertEquals(List.of(""), rule.getApiGroups());
        assertEquals(List.of("pods"), rule.getResources());
        assertEquals(List.of("get", "list", "watch"), rule.getVerbs());
        RoleBinding binding = only(rbac, RoleBinding.class, "smg-router-discovery");
        assertEquals("Role", binding.getRoleRef().getKind());
        assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName());
        assertEquals("ServiceAccount", binding.getSubjects().get(0).getKind());
        assertEquals(account.getMetadata().getName(), binding.getSubjects().get(0).getName());
        assertNull(binding.getSubjects().get(0).getNamespace(), "defaults to the binding's namespace");
    }

    @Test
    void theStatefulSetRunsDiscoveryWithItsHeadlessServiceAndAccount() throws Exception {
        StatefulSet set = only(load("statefulset.yaml"), StatefulSet.class, "smg");
        List<HasMetadata> services = load("service.yaml");
        Service headless = only(services, Service.class, set.getSpec().getServiceName());
        ServiceAccount account = only(load("rbac.yaml"), ServiceAccount.class, "smg");
        PodSpec pod = set.getSpec().getTemplate().getSpec();
        Container smg = pod.getContainers().get(0);

        assertEquals("None", headless.getSpec().getClusterIP());
        assertTrue(headless.getSpec().getPublishNotReadyAddresses(), "mesh peers resolve before readiness");
        Map<String, String> labels = set.getSpec().getTemplate().getMetadata().getLabels();
        assertEquals(set.getSpec().getSelector().getMatchLabels(), labels);
        for (Service s : services.stream().filter(Service.class::isInstance).map(Service.class::cast).toList()) {
            assertTrue(labels.entrySet().containsAll(s.getSpec().getSelector().entrySet()), s.getMetadata().getName());
            s.getSpec().getPorts().forEach(p -> assertTrue(smg.getPorts().stream()
                    .anyMatch(c -> c.getName().equals(p.getTargetPort().getStrVal())), "target port " + p.getTargetPort()));
        }
        assertEquals(account.getMetadata().getName(), pod.getServiceAccountName());

        // The arguments, with the kubelet's $(VAR) expansion, are a command line smg accepts.
        GatewayConfig config = GatewayFlags.parse(expand(smg.getArgs(), smg.getEnv()).toArray(String[]::new));
        DiscoveryConfig discovery = config.discovery().orElseThrow();
        assertEquals(Map.of("app", "smg"), discovery.selector());
        assertTrue(labels.entrySet().containsAll(discovery.selector().entrySet()), "the pods select themselves");
        assertTrue(smg.getArgs().contains("--mesh-server-name=$(POD_NAME)"));
        assertEquals("smg-0", config.mesh().orElseThrow().serverName());
        assertEquals("10.0.0.7", config.mesh().orElseThrow().advertiseHost());
        int meshPort = config.mesh().orElseThrow().port();
        assertEquals(String.valueOf(meshPort),
                set.getSpec().getTemplate().getMetadata().getAnnotations().get(discovery.portAnnotation()));
        assertEquals(meshPort, port(smg, "mesh"));
        assertEquals(config.port(), port(smg, "http"));

        assertEquals("/readiness", smg.getReadinessProbe().getHttpGet().getPath());
        assertEquals("http", smg.getReadinessProbe().getHttpGet().getPort().getStrVal());
        assertNull(smg.getLifecycle(), "no preStop hook: SIGTERM starts the graceful stop");
        long stopBudget = config.shutdownGrace().plus(config.settlePeriod())
                .plus(MembershipSettings.DEFAULTS.leaveTimeout()).toSeconds();
        assertTrue(pod.getTerminationGracePeriodSeconds() > stopBudget,
                pod.getTerminationGracePeriodSeconds() + " s must exceed " + stopBudget + " s");
    }

    private static int port(Container container, String name) {
        return container.getPorts().stream().filter(p -> p.getName().equals(name)).map(ContainerPort::getContainerPort)
                .findFirst().orElseThrow();
    }

    /** $(VAR) as the kubelet expands it: values, and fieldRefs as a pod smg-0 at 10.0.0.7 would have them. */
    private static List<String> expand(List<String> args, List<EnvVar> env) {
        Map<String, String> values = new java.util.HashMap<>();
        for (EnvVar v : env) {
            if (v.getValue() != null) {
                values.put(v.getName(), v.getValue());
            } else {
                String field = v.getValueFrom().getFieldRef().getFieldPath();
                values.put(v.getName(), switch (field) {
                    case "metadata.name" -> "smg-0";
                    case "status.podIP" -> "10.0.0.7";
                    default -> throw new AssertionError("unexpected fieldRef " + field);
                });
            }
        }
        Pattern ref = Pattern.compile("\\$\\(([A-Z_]+)\\)");
        return args.stream().map(arg -> {
            Matcher m = ref.matcher(arg);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                assertTrue(values.containsKey(m.group(1)), "undefined $(" + m.group(1) + ")");
                m.appendReplacement(out, Matcher.quoteReplacement(values.get(m.group(1))));
            }
            return m.appendTail(out).toString();
        }).toList();
    }

    /** Walks the typed model: any key the model does not know was kept in additionalProperties. */
    private static void assertNoUnknownFields(Object node, String path) {
        if (node == null || !node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            if (node instanceof Collection<?> c) {
                int i = 0;
                for (Object o : c) {
                    assertNoUnknownFields(o, path + "[" + i++ + "]");
                }
            }
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get")
                    || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(node);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(path + "." + getter.getName(), e);
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                assertTrue(value == null || ((Map<?, ?>) value).isEmpty(), path + ": unknown field(s) " + value);
            } else {
                assertNoUnknownFields(value, path + "." + getter.getName().substring(3));
            }
        }
    }
}
