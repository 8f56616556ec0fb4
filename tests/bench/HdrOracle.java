// HdrOracle.java - independent oracle for test_hdr_java: HdrHistogram's Java
// implementation reads an interval log written by bench/hdr_log.c and prints
// what it decoded, one fact per line, for the C test to compare.
// Usage: java -cp hdrhistogram.jar HdrOracle.java LOG [PERCENTILE...]
import java.util.Locale;
import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.HistogramIterationValue;
import org.HdrHistogram.HistogramLogReader;

public class HdrOracle {
    public static void main(String[] args) throws Exception {
        HistogramLogReader reader = new HistogramLogReader(args[0]);
        EncodableHistogram e;
        int n = 0;
        while ((e = reader.nextIntervalHistogram()) != null) {
            AbstractHistogram h = (AbstractHistogram) e;
            System.out.println("interval " + n++);
            System.out.println("tag " + (h.getTag() == null ? "-" : h.getTag()));
            System.out.println("cfg " + h.getLowestDiscernibleValue() + " "
                    + h.getHighestTrackableValue() + " "
                    + h.getNumberOfSignificantValueDigits());
            System.out.println("start_ms " + h.getStartTimeStamp());
            System.out.println("end_ms " + h.getEndTimeStamp());
            System.out.println("total " + h.getTotalCount());
            System.out.println("max " + h.getMaxValue());
            System.out.println("min " + h.getMinNonZeroValue());
            if (h.getTotalCount() > 0) {
                System.out.println("mean " + Double.toString(h.getMean()));
                System.out.println("stddev " + Double.toString(h.getStdDeviation()));
            }
            for (int i = 1; i < args.length; i++) {
                double p = Double.parseDouble(args[i]);
                System.out.println("p " + (i - 1) + " " + h.getValueAtPercentile(p));
            }
            for (HistogramIterationValue v : h.recordedValues()) {
                System.out.println("v " + h.lowestEquivalentValue(v.getValueIteratedTo())
                        + " " + v.getCountAtValueIteratedTo());
            }
            System.out.println("end");
        }
        System.out.println(String.format(Locale.US, "intervals %d", n));
    }
}
