package dev.smg.api;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dependency rule of docs/architecture.md, checked on the compiled main classes of every module
 * (this module's test classpath holds them all): a change that breaks it fails the build instead of
 * waiting for someone to grep.
 */
class ArchitectureTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        java.util.logging.Logger.getLogger("com.tngtech").setLevel(java.util.logging.Level.WARNING); // its JDK notice
        // The other modules' classes are directories in a reactor run (mvn test) and jars in an install
        // (make test): jars are imported, only test classes (test-classes, mesh's -tests.jar) are not.
        main = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("dev.smg");
        for (String module : List.of("dev.smg.mesh.runtime.MeshNode", "dev.smg.router.worker.WorkerRegistry",
                "dev.smg.api.ha.HaContext")) {
            assertTrue(main.contain(module), "not imported, so not checked: " + module);
        }
    }

    @Test
    void meshKnowsNothingOfRoutingOrHttp() {
        noClasses().that().resideInAPackage("dev.smg.mesh..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.smg.router..", "dev.smg.api..", "io.helidon..")
                .because("the mesh replicates state it does not interpret, and is testable without HTTP")
                .check(main);
    }

    @Test
    void routerKnowsNothingOfTheMeshGrpcOrTheHttpServer() {
        noClasses().that().resideInAPackage("dev.smg.router..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.smg.mesh..", "dev.smg.proto..",
                        "dev.smg.api..", "io.grpc..", "io.helidon.webserver..")
                .because("replicated state reaches routing only through the router's own ports")
                .check(main);
    }

    @Test
    void routerTracesThroughTheOpenTelemetryApiOnly() {
        noClasses().that().resideInAPackage("dev.smg.router..")
                .should().dependOnClassesThat().resideInAnyPackage("io.opentelemetry.sdk..",
                        "io.opentelemetry.exporter..")
                .because("the SDK and its exporters are the api module's choice (--enable-trace); without them "
                        + "the API is a no-op")
                .check(main);
    }

    @Test
    void haLayerNeverTouchesTheHttpServer() {
        noClasses().that().resideInAPackage("dev.smg.api.ha..")
                .should().dependOnClassesThat().resideInAnyPackage("io.helidon..", "dev.smg.api.gateway..")
                .because("the HA layer runs in the deterministic simulator, where there is no HTTP server")
                .check(main);
    }

    @Test
    void simulatorsAndBenchmarksAreNotShipped() {
        noClasses().should().resideInAnyPackage("..sim..", "..bench..")
                .orShould().haveSimpleNameEndingWith("Bench")
                .because("simulators and benchmarks live in test or bench source sets, never in smg.jar")
                .check(main);
    }
}
