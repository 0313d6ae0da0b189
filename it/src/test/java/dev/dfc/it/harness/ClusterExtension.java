package dev.dfc.it.harness;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests the run's {@link TestCluster} as a parameter:
 *
 * <pre>
 * &#64;ExtendWith(ClusterExtension.class)
 * class MyTest {
 *     &#64;Test void runs(TestCluster db) throws Exception { db.deploy("CREATE WORKFLOW w() AS 'SELECT 1'"); ... }
 * }
 * </pre>
 */
public final class ClusterExtension implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return TestCluster.get();
    }

    /** Shorthand for {@code @ExtendWith(ClusterExtension.class)}. */
    @java.lang.annotation.Target(java.lang.annotation.ElementType.TYPE)
    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @ExtendWith(ClusterExtension.class)
    public @interface WithCluster {}
}
