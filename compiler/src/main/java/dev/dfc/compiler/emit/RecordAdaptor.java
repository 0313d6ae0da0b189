package dev.dfc.compiler.emit;

import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import org.stringtemplate.v4.Interpreter;
import org.stringtemplate.v4.ModelAdaptor;
import org.stringtemplate.v4.ST;
import org.stringtemplate.v4.misc.STNoSuchPropertyException;

/** Lets templates read record components ({@code «wf.name»} calls {@code wf.name()}). */
final class RecordAdaptor implements ModelAdaptor<Record> {
    @Override
    public Object getProperty(Interpreter interp, ST self, Record model, Object property, String propertyName) {
        for (RecordComponent c : model.getClass().getRecordComponents()) {
            if (c.getName().equals(propertyName)) {
                try {
                    Method accessor = c.getAccessor();
                    accessor.setAccessible(true);
                    return accessor.invoke(model);
                } catch (ReflectiveOperationException e) {
                    throw new STNoSuchPropertyException(e, model, propertyName);
                }
            }
        }
        throw new STNoSuchPropertyException(null, model, propertyName);
    }
}
