Console.WriteLine("DistTrain");
